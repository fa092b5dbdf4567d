using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// Headless Debian Chromium driven by Playwright against the Hub on Kestrel (SQLite, the embedded
/// default). Playwright's own browser download is never used: the machine's /usr/bin/chromium is.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private readonly string _file = TestServers.NewSqliteFile();
    private IPlaywright? _playwright;

    public ExchangeApp App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = new ExchangeApp(new() { ["ConnectionStrings:Sqlite"] = $"Data Source={_file}" });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestServers.Chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }
}
