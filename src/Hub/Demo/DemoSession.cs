using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace LiveExchange.Hub.Demo;

/// <summary>
/// `dotnet run --project src/Hub -- --demo` schedules the model session of SCENARIO.md (Zhenjiang
/// hosts six Xingtai organisations) once, with a short sample deck, and prints its links.
/// </summary>
internal static class DemoSession
{
    public const string Code = "ZJXT23";

    private static readonly (string Name, string City, string Province)[] Agencies =
    [
        ("益家乐社会工作服务中心", "镇江", "江苏"),
        ("邢台市益襄社会工作服务中心", "邢台", "河北"),
        ("邢台市桥东区阳光社区服务社", "邢台", "河北"),
        ("邢台市信都区暖心家园社会工作站", "邢台", "河北"),
        ("邢台市襄都区邻里互助协会", "邢台", "河北"),
        ("邢台市青少年成长服务中心", "邢台", "河北"),
        ("邢台市夕阳红为老服务社", "邢台", "河北"),
    ];

    private const string Exists = "select count(*) from sessions where code = @code";

    private const string SetCode = "update sessions set code = @code where id = @id";

    private const string Reschedule = """
        update sessions set starts_at_ms = @startsAt, ends_at_ms = @endsAt, ended_at_ms = null, closed_at_ms = null, opened_at_ms = null
        where code = @code and (closed_at_ms is not null or ends_at_ms < @now)
        """;

    private static string Local(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<SessionScheduled?> SeedAsync(IServiceProvider services)
    {
        var database = services.GetRequiredService<Database>();
        var clock = services.GetRequiredService<TimeProvider>();
        await using var connection = await database.OpenAsync();
        // Live now: from the current half hour, for two hours, in Zhenjiang's time. A demo session
        // from an earlier run that has since ended is moved to now again.
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), shanghai).DateTime;
        var start = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute < 30 ? 0 : 30, 0);
        if (await connection.ExecuteScalarAsync<long>(Exists, new { code = Code }) > 0)
        {
            var startsAt = new DateTimeOffset(start, shanghai.GetUtcOffset(start)).ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(Reschedule, new { code = Code, startsAt, endsAt = startsAt + 2 * 3_600_000L, now = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        }
        else
        {
            var ids = new List<long>();
            foreach (var (name, city, province) in Agencies)
            {
                var created = await AgencyEndpoints.CreateAsync(new NewAgency(name, city, province), database, clock, default);
                ids.Add(created.Value!.Id);
            }

            var scheduled = (await SessionEndpoints.ScheduleAsync(new NewSession(
                "苏冀云牵手，社工e在线",
                "镇江益家乐社会工作服务中心与邢台六家社区社会组织在线交流：社工如何参与社区疫情防控。",
                ids[0], ids.Skip(1).ToArray(), Local(start), Local(start.AddHours(2)), "Asia/Shanghai"),
                database, clock, services.GetRequiredService<SessionGate>(), default)).Value!;
            await connection.ExecuteAsync(SetCode, new { code = Code, id = scheduled.Id });

            await services.GetRequiredService<Decks.DeckStore>().StoreAsync(
                scheduled.Id, "yijiale-epidemic-prevention.pdf", SampleDeck(), 5, default);
        }

        var rows = await connection.QueryAsync<SessionRow>(SessionEndpoints.SelectSessions + " where code = @code", new { code = Code });
        return (await SessionEndpoints.DescribeAsync(connection, rows, services.GetRequiredService<SessionGate>())).SingleOrDefault();
    }

    /// <summary>Five landscape pages. The standard PDF fonts have no Chinese glyphs, so the sample is in English.</summary>
    internal static byte[] SampleDeck(int pages = 5)
    {
        string[] titles =
        [
            "Social workers in community epidemic prevention",
            "1. Mapping the neighbourhood: who needs help",
            "2. Volunteers at the gate: shifts and safety",
            "3. Elderly residents living alone: daily calls",
            "4. What we learnt, and questions",
        ];
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 0; i < pages; i++)
        {
            var page = builder.AddPage(PageSize.A4, isPortrait: false);
            page.AddText(titles[i % titles.Length], 26, new PdfPoint(50, 480), font);
            page.AddText($"Yijiale Social Work Service Centre, Zhenjiang - page {i + 1} of {pages}", 14, new PdfPoint(50, 60), font);
        }

        return builder.Build();
    }
}
