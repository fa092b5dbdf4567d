using LiveExchange.Hub.Access;
using LiveExchange.Hub.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LiveExchange.Hub.Live;

/// <summary>Prints where to go once Kestrel listens: the join page, the organiser link, the demo links.</summary>
internal static class StartupBanner
{
    public static void PrintLinksOnStart(this WebApplication app, SessionScheduled? demo)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                .FirstOrDefault()?.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost")
                .Replace("://+", "://localhost") ?? "";
            var key = app.Services.GetRequiredService<OrganiserKey>();
            Console.WriteLine();
            Console.WriteLine($"LiveExchange is running. Join page: {address}/");
            Console.WriteLine(key.Configured
                ? $"Organiser page: {address}/organiser.html#key=<Organiser:Key>"
                : $"Organiser page (keep this link private): {address}/organiser.html#key={key.Value}");
            if (demo is not null)
            {
                Console.WriteLine($"Demo session \"{demo.Title}\", code {demo.Code}");
                Console.WriteLine($"  Host page:   {address}{demo.HostLink}");
                Console.WriteLine($"  Viewer page: {address}{demo.ViewerLink}");
            }

            Console.WriteLine();
        });
    }
}
