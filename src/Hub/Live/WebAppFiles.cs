using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace LiveExchange.Hub.Live;

/// <summary>The browser app built from src/Web into wwwroot, served by every instance.</summary>
internal static class WebAppFiles
{
    public static WebApplication UseWebApp(this WebApplication app)
    {
        // pdf.js fetches character maps (.bcmap) for Chinese fonts that a deck does not embed, and
        // colour profiles (.icc); the default provider does not know these and would refuse them.
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".bcmap"] = "application/octet-stream";
        types.Mappings[".icc"] = "application/vnd.iccprofile";
        types.Mappings[".mjs"] = "text/javascript";

        app.UseDefaultFiles();
        app.UsePrecompressedFiles(app.Environment.WebRootFileProvider);
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = new PrecompressedContentTypes(types),
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                // Vite fingerprints everything under assets/, so it can be cached for good; pages are revalidated.
                headers.CacheControl = ctx.Context.Request.Path.StartsWithSegments("/assets") ? "public, max-age=31536000, immutable" : "no-cache";
                if (PrecompressedEncoding(ctx.File.Name) is { } encoding)
                {
                    headers.ContentEncoding = encoding;
                }
            },
        });
        return app;
    }

    /// <summary>
    /// The build writes <c>x.js.br</c> and <c>x.js.gz</c> beside <c>x.js</c> (src/Web/vite.config.ts): pdf.js
    /// is 1.7 MB as text and 0.4 MB in Brotli, which on a 500 kbit/s link is the difference between half a
    /// minute and a few seconds before the first slide. A request the browser lets us answer compressed is
    /// pointed at the sibling, which the static file middleware then serves as any file (ETag, ranges and
    /// conditional requests apply to the compressed bytes, as HTTP wants for a Content-Encoding).
    /// </summary>
    private static void UsePrecompressedFiles(this WebApplication app, IFileProvider files) => app.Use((context, next) =>
    {
        var request = context.Request;
        if ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && request.Path.HasValue
            && !request.Path.StartsWithSegments("/api")
            && !request.Path.StartsWithSegments("/hubs")
            && PrecompressedEncoding(request.Path.Value) is null)
        {
            var path = request.Path.Value;
            var br = files.GetFileInfo(path + ".br").Exists;
            var gz = files.GetFileInfo(path + ".gz").Exists;
            if (br || gz)
            {
                // Caches must keep the encodings apart, whichever one this answer is.
                context.Response.Headers.Vary = HeaderNames.AcceptEncoding;
                var accepted = AcceptedEncodings(request);
                if (br && accepted.Contains("br"))
                {
                    request.Path = path + ".br";
                }
                else if (gz && accepted.Contains("gzip"))
                {
                    request.Path = path + ".gz";
                }
            }
        }

        return next(context);
    });

    private static HashSet<string> AcceptedEncodings(HttpRequest request)
    {
        var accepted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in request.GetTypedHeaders().AcceptEncoding)
        {
            if (value.Quality is null or > 0)
            {
                accepted.Add(value.Value.ToString());
            }
        }

        return accepted;
    }

    private static string? PrecompressedEncoding(string name) =>
        name.EndsWith(".br", StringComparison.OrdinalIgnoreCase) ? "br"
        : name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "gzip"
        : null;

    /// <summary>A precompressed sibling has the content type of the file it was made from.</summary>
    private sealed class PrecompressedContentTypes(IContentTypeProvider inner) : IContentTypeProvider
    {
        public bool TryGetContentType(string subpath, out string contentType) =>
            inner.TryGetContentType(PrecompressedEncoding(subpath) is null ? subpath : subpath[..^3], out contentType!);
    }
}
