using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Dapper;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Access;

/// <summary>
/// There are no accounts yet: a bearer token says who the caller is. The organiser key makes an
/// organiser, a session's host token its host, a participant token (from a join) a viewer of that
/// session. Tokens are looked up in the database, so any hub instance accepts them; a viewer's token
/// also from <see cref="ViewerTokens"/>, this instance's copy of the ones it saw in the last minute.
/// </summary>
internal sealed class ExchangeTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    Database database,
    OrganiserKey organiserKey,
    ViewerTokens viewerTokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ExchangeToken";

    // One statement for the three kinds of link: a viewer's connect no longer waits for two misses first.
    // Tokens are random and distinct, so at most one branch matches; the rank keeps the old precedence
    // (host, then moderator, then viewer) should two ever do.
    private const string FindToken = """
        select 1 as Rank, id as SessionId, cast(null as bigint) as ParticipantId from sessions where host_token = @token
        union all
        select 2, id, cast(null as bigint) from sessions where moderator_token = @token
        union all
        select 3, session_id, id from participants where token = @token and role = 'viewer'
        order by 1
        limit 1
        """;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken();
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (organiserKey.Matches(token))
        {
            return Success(new Claim(ClaimTypes.Role, ExchangeRoles.Organiser));
        }

        // The hub's WebSocket is what a joining screen opens last: its copy is taken, not kept for a minute
        // beside every connected screen (a reconnect later reads the database, as another instance would).
        var connecting = Context.WebSockets.IsWebSocketRequest && Request.Path.StartsWithSegments(ExchangeHubRoute.Path);
        if (connecting ? viewerTokens.TryTake(token, out var viewer) : viewerTokens.TryGet(token, out viewer))
        {
            return Viewer(viewer);
        }

        await using var connection = await database.OpenAsync(Context.RequestAborted);
        var found = await connection.QuerySingleOrDefaultAsync<TokenRow>(FindToken, new { token });
        var session = found?.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (found)
        {
            case { Rank: 1 }:
                return Success(new Claim(ClaimTypes.Role, ParticipantRoles.Host), new Claim(ExchangeClaims.Session, session!));
            case { Rank: 2 }:
                // The moderator link: a capability of its own beside the host's, for a second person at the host agency.
                return Success(new Claim(ClaimTypes.Role, ParticipantRoles.Moderator), new Claim(ExchangeClaims.Session, session!));
            case { Rank: 3, ParticipantId: { } participant }:
                var identity = new ViewerIdentity(found.SessionId, participant);
                if (!connecting)
                {
                    viewerTokens.Remember(token, identity);
                }

                return Viewer(identity);
        }

        return AuthenticateResult.Fail("Unknown token.");
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "unauthorised", "A valid token is required: open the link you were given again.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "forbidden", "Your link does not allow this.");

    private string? ReadToken()
    {
        string? header = Request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return NonEmpty(header["Bearer ".Length..].Trim());
        }

        // Browsers cannot set headers on WebSockets, so the SignalR client sends the token in the query.
        if (Request.Path.StartsWithSegments(ExchangeHubRoute.Path))
        {
            return NonEmpty(Request.Query["access_token"].ToString());
        }

        return null;
    }

    /// <summary>A class with setters: SQLite types the union's literal rank loosely (see QuestionRow).</summary>
    private sealed class TokenRow
    {
        public long Rank { get; init; }

        public long SessionId { get; init; }

        public long? ParticipantId { get; init; }
    }

    private AuthenticateResult Viewer(ViewerIdentity viewer) => Success(
        new Claim(ClaimTypes.Role, ParticipantRoles.Viewer),
        new Claim(ExchangeClaims.Session, viewer.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new Claim(ExchangeClaims.Participant, viewer.ParticipantId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static string? NonEmpty(string s) => s.Length is > 0 and <= 200 ? s : null;

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    private Task WriteProblem(int status, string code, string title) => ExchangeProblem.WriteAsync(Context, status, code, title);
}

/// <summary>Proxy:TrustedProxies: addresses or CIDR networks, separated by commas or spaces.</summary>
public static class ProxyNetworks
{
    public static List<System.Net.IPNetwork> Parse(string? value)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var item in (value ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(item, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
                if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    // Kestrel may see an IPv4 peer as IPv4-mapped IPv6 on a dual-stack socket.
                    networks.Add(new System.Net.IPNetwork(address.MapToIPv6(), 128));
                }
            }
            else
            {
                throw new InvalidOperationException($"Proxy:TrustedProxies: '{item}' is not an address or a network (like 10.0.0.0/8).");
            }
        }

        return networks;
    }
}

public static class ExchangeRoles
{
    public const string Organiser = "organiser";
}

public static class ExchangeClaims
{
    public const string Session = "lx:session";
    public const string Participant = "lx:participant";
}

public static class ExchangePolicies
{
    public const string Organiser = "organiser";
    public const string Host = "host";

    /// <summary>The host, a moderator or a viewer of a session.</summary>
    public const string Participant = "participant";
}

public static class Tokens
{
    /// <summary>192 random bits, URL-safe: unguessable, and fits in a link.</summary>
    public static string New() => Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The organiser key in force: from configuration, else the one made on first start.</summary>
public sealed class OrganiserKey
{
    private byte[] _key = [];

    public string Value { get; private set; } = "";

    /// <summary>True when the key came from Organiser:Key; the start-up banner then does not print it.</summary>
    public bool Configured { get; private set; }

    internal void Set(string value, bool configured) => (Value, _key, Configured) = (value, Encoding.UTF8.GetBytes(value), configured);

    public bool Matches(string token) =>
        _key.Length > 0 && CryptographicOperations.FixedTimeEquals(_key, Encoding.UTF8.GetBytes(token));
}

public sealed class OrganiserOptions
{
    /// <summary>Organiser:Key. Empty: one is made on first start, kept in the database, and printed.</summary>
    public string Key { get; set; } = "";
}

public static class AccessExtensions
{
    private const string SelectKey = "select value from settings where key = 'organiser_key'";

    // Two instances starting together on an empty database: the first insert wins, both read it back.
    private const string InsertKey = """
        insert into settings (key, value) values ('organiser_key', @value) on conflict (key) do nothing
        """;

    public static WebApplicationBuilder AddExchangeAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrganiserOptions>()
            .BindConfiguration("Organiser")
            .Validate(o => o.Key.Length == 0 || o.Key.Length >= 16, "Organiser:Key must be at least 16 characters (or empty to generate one).")
            .ValidateOnStart();
        builder.Services.AddSingleton<OrganiserKey>();
        builder.Services.AddSingleton<ViewerTokens>();

        // Behind the compose file's nginx every request comes from the proxy: without the forwarded
        // address, the per-address join limit would be one limit for the whole city. Only the proxies
        // named here are believed; anyone else reaching an instance directly with X-Forwarded-For is
        // taken at its own address (trusting every sender let a forged header dodge the join limit).
        var trusted = ProxyNetworks.Parse(builder.Configuration["Proxy:TrustedProxies"]);
        if (builder.Configuration.GetValue<bool>("Proxy:TrustForwardedHeaders") && trusted.Count == 0)
        {
            throw new InvalidOperationException(
                "Proxy:TrustForwardedHeaders is replaced by Proxy:TrustedProxies: name the proxies' addresses or networks (e.g. 172.31.250.5 or 10.0.0.0/8).");
        }

        if (trusted.Count > 0)
        {
            builder.Services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Clear();
                foreach (var network in trusted)
                {
                    o.KnownIPNetworks.Add(network);
                }

                // One proxy in front: the address it saw is the client's, whatever the client claimed before it.
                o.ForwardLimit = 1;
            });
        }

        builder.Services.AddAuthentication(ExchangeTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ExchangeTokenHandler>(ExchangeTokenHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ExchangePolicies.Organiser, p => p.RequireRole(ExchangeRoles.Organiser))
            .AddPolicy(ExchangePolicies.Host, p => p.RequireRole(ParticipantRoles.Host))
            .AddPolicy(ExchangePolicies.Participant, p => p.RequireRole(ParticipantRoles.Host, ParticipantRoles.Viewer, ParticipantRoles.Moderator));
        return builder;
    }

    public static async Task EnsureOrganiserKeyAsync(this WebApplication app)
    {
        var configured = app.Services.GetRequiredService<IOptions<OrganiserOptions>>().Value.Key;
        var key = app.Services.GetRequiredService<OrganiserKey>();
        if (configured.Length > 0)
        {
            key.Set(configured, configured: true);
            return;
        }

        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        await connection.ExecuteAsync(InsertKey, new { value = Tokens.New() });
        key.Set(await connection.QuerySingleAsync<string>(SelectKey), configured: false);
    }

    public static long SessionId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(ExchangeClaims.Session) ?? throw new InvalidOperationException("No session claim."),
            System.Globalization.CultureInfo.InvariantCulture);

    public static long? ParticipantId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ExchangeClaims.Participant) is { } id
            ? long.Parse(id, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    public static bool IsHost(this ClaimsPrincipal user) => user.IsInRole(ParticipantRoles.Host);

    public static bool IsModerator(this ClaimsPrincipal user) => user.IsInRole(ParticipantRoles.Moderator);
}
