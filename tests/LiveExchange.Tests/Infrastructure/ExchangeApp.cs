using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>The Hub in this process on real Kestrel (a loopback port), with the given settings.</summary>
public sealed class ExchangeApp : WebApplicationFactory<Program>
{
    public const string OrganiserKey = "test-organiser-key-0123456789";

    private readonly Dictionary<string, string?> _settings;

    public ExchangeApp(Dictionary<string, string?> settings)
    {
        _settings = new Dictionary<string, string?>(settings) { ["Organiser:Key"] = OrganiserKey };
        UseKestrel(0);
        StartServer();
    }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
