using LiveExchange.Bench;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// Headless Debian Chromium driven by Playwright against the Hub in its own process, as deployed
/// (SQLite, the embedded default; the built front end from src/Hub/wwwroot). A process of its own
/// keeps the pages' requests clear of whatever else the test process is busy with.
/// Playwright's own browser download is never used: the machine's /usr/bin/chromium is.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private readonly string _file = TestServers.NewSqliteFile();
    private IPlaywright? _playwright;
    private HubProcess? _hub;

    public Uri BaseAddress => _hub!.BaseAddress;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubProcess.StartAsync("browser", new Dictionary<string, string>
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={_file}",
            ["Organiser:Key"] = ExchangeApp.OrganiserKey,
            ["webroot"] = Path.Combine(TestServers.RepoRoot, "src", "Hub", "wwwroot"),
        });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(ChromiumLaunch.Options());
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        TestServers.DeleteSqliteFile(_file);
    }
}

/// <summary>Browser tests run on their own, after the rest: Chromium wants both cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
