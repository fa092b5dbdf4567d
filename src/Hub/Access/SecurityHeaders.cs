namespace LiveExchange.Hub.Access;

/// <summary>
/// Headers on every response, pages and API alike. The content policy allows only this origin: the
/// app must work on a closed network, so nothing may load from anywhere else, and a name or question
/// that slipped past the text checks still cannot load or run anything. pdf.js needs WebAssembly
/// (its image decoders) and sets inline styles on its text layer; video elements play blob: and
/// mediastream: sources.
/// </summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; " +
        "script-src 'self' 'wasm-unsafe-eval'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "media-src 'self' blob: mediastream:; " +
        "worker-src 'self' blob:; " +
        "object-src 'none'; " +
        "base-uri 'none'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        // Set as the response starts: the exception handler clears headers set earlier when it turns
        // a failure into a ProblemDetails, and those responses need them as much as any.
        app.Use((http, next) =>
        {
            http.Response.OnStarting(static state => Apply((HttpResponse)state), http.Response);
            return next(http);
        });
        return app;
    }

    private static Task Apply(HttpResponse response)
    {
        {
            var headers = response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY"; // frame-ancestors for browsers that predate it
            // Links carry tokens in the fragment, which is never sent; sending no referrer at all keeps
            // even a session's page address out of other sites' logs.
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self), geolocation=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        }
    }
}
