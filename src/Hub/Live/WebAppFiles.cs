using Microsoft.AspNetCore.StaticFiles;

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
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = types,
            // Vite fingerprints everything under assets/, so it can be cached for good; pages are revalidated.
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl =
                ctx.Context.Request.Path.StartsWithSegments("/assets") ? "public, max-age=31536000, immutable" : "no-cache",
        });
        return app;
    }
}
