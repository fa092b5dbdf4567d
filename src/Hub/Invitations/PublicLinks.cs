using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Invitations;

public sealed class LinksOptions
{
    /// <summary>
    /// Links:PublicBaseUrl. The address people open invitation links at (https://exchange.example.org/).
    /// Empty: links are built from the address the organiser's request came in on (the proxy's
    /// forwarded scheme included), which is right unless the organiser page is reached another way.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    internal static bool IsValid(string value) =>
        value.Length == 0
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0);
}

/// <summary>Absolute links for what leaves the app: invitation texts, QR codes, calendar files.</summary>
public sealed class PublicLinks(IOptions<LinksOptions> options)
{
    public string Base(HttpRequest request)
    {
        var configured = options.Value.PublicBaseUrl;
        var root = configured.Length > 0 ? configured : $"{request.Scheme}://{request.Host}{request.PathBase}";
        return root.TrimEnd('/');
    }

    public string Invitation(HttpRequest request, string token) => $"{Base(request)}/?invite={Uri.EscapeDataString(token)}";
}

public static class LinksExtensions
{
    public static WebApplicationBuilder AddPublicLinks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LinksOptions>()
            .BindConfiguration("Links")
            .Validate(o => LinksOptions.IsValid(o.PublicBaseUrl),
                "Links:PublicBaseUrl must be an absolute http(s) address without query or fragment, like https://exchange.example.org/ (or empty).")
            .ValidateOnStart();
        builder.Services.AddSingleton<PublicLinks>();
        return builder;
    }
}
