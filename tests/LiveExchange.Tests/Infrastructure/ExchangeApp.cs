using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>The Hub in this process on real Kestrel (a loopback port), with the given settings.</summary>
public sealed class ExchangeApp : WebApplicationFactory<Program>
{
    public const string OrganiserKey = "test-organiser-key-0123456789";

    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _clock;

    /// <param name="clock">A clock the test moves (<see cref="ShiftableClock"/>), in place of the system's; null: the system's.</param>
    public ExchangeApp(Dictionary<string, string?> settings, TimeProvider? clock = null)
    {
        _clock = clock;
        _settings = new Dictionary<string, string?>(settings) { ["Organiser:Key"] = OrganiserKey };
        UseKestrel(0);
        StartServer();
    }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>Every line the app logged, as its console would show it (level, category, message, exception).</summary>
    public LogLines Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
        if (_clock is { } clock)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(clock));
        }
    }
}

/// <summary>Keeps what the app logs, so a test can check what an operator would read, scopes included.</summary>
public sealed class LogLines : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<LogLine> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>The named values of the scopes open around a line (a later scope's value wins).</summary>
    private Dictionary<string, object?> ScopeValues()
    {
        var values = new Dictionary<string, object?>();
        _scopes.ForEachScope((scope, into) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    into[key] = value;
                }
            }
        }, values);
        return values;
    }

    public void Dispose()
    {
    }

    private sealed class Sink(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner._lines.Count < 100_000)
            {
                owner._lines.Enqueue(new LogLine(logLevel, category, formatter(state, exception), exception?.ToString())
                {
                    Scopes = owner.ScopeValues(),
                });
            }
        }
    }
}

public sealed record LogLine(LogLevel Level, string Category, string Message, string? Exception)
{
    public IReadOnlyDictionary<string, object?> Scopes { get; init; } = new Dictionary<string, object?>();

    public int Bytes => Category.Length + Message.Length + (Exception?.Length ?? 0);
}
