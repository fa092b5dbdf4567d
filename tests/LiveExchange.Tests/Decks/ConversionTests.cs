using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using LiveExchange.Hub.ApiDescription;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using UglyToad.PdfPig;
using Xunit.Abstractions;

namespace LiveExchange.Tests.Decks;

/// <summary>
/// PowerPoint decks through the real LibreOffice: uploaded over HTTP with the host token, converted,
/// checked and stored like a PDF, with the speaker notes by page. Both databases.
/// </summary>
public abstract class ConversionBehaviour(ExchangeApp app, ITestOutputHelper output)
{
    private readonly Api _api = new(app.BaseAddress);

    public static readonly PowerPointFiles.Slide[] ModelDeck =
    [
        new("社区防疫经验分享", "镇江益家乐社会工作服务中心", "先介绍机构，再讲防疫背景。"),
        new("志愿者招募与培训", "楼栋长、党员、居民骨干", "强调志愿者的安全防护。\n第二行：培训共三次。"),
        new("居家老人关爱服务", "电话问候与代购配送", "留出时间回答邢台同行的提问。"),
    ];

    [Fact]
    public async Task A_pptx_with_Chinese_slides_and_notes_becomes_a_three_page_deck_with_its_notes_by_page()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 4);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);

        var upload = await _api.UploadDeckAsync(session, PowerPointFiles.Make(ModelDeck), "社区防疫经验分享.pptx");
        Assert.True(HttpStatusCode.Created == upload.StatusCode, await upload.Content.ReadAsStringAsync());
        var deck = (await upload.Content.ReadFromJsonAsync<DeckView>(Api.Json))!;
        Assert.Equal(3, deck.PageCount);
        Assert.Equal("社区防疫经验分享.pdf", deck.FileName);

        // Everyone is told, as for a PDF; the viewer downloads a PDF whose pages say what the slides said.
        await viewer.WaitForAsync<DeckChanged>(d => d.Deck.DeckId == deck.DeckId && d.CurrentPage == 1);
        using var asViewer = _api.Client(joined.ParticipantToken);
        var pdfBytes = await asViewer.GetByteArrayAsync($"/api/decks/{deck.DeckId}");
        using (var pdf = PdfDocument.Open(pdfBytes))
        {
            Assert.Equal(3, pdf.NumberOfPages);
            for (var page = 1; page <= 3; page++)
            {
                var text = string.Concat(pdf.GetPage(page).Letters.Select(l => l.Value)).Replace(" ", "", StringComparison.Ordinal);
                Assert.Contains(ModelDeck[page - 1].Title, text, StringComparison.Ordinal);
                Assert.Contains(ModelDeck[page - 1].Body, text, StringComparison.Ordinal);
            }
        }

        // The notes, page by page, taken from the file: the host reads them as the presenter view does;
        // a viewer is refused them.
        var notes = await NotesAsync(session, deck.DeckId);
        Assert.Equal([1, 2, 3], notes.Select(n => n.Page));
        Assert.All(notes, n => Assert.Equal(SlideNoteSources.Deck, n.Source));
        for (var page = 1; page <= 3; page++)
        {
            Assert.Equal(ModelDeck[page - 1].Notes, notes[page - 1].Text);
        }

        await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => viewer.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes)));

        var took = app.Logs.Lines.Last(l => l.Message.StartsWith("Converted a Pptx deck", StringComparison.Ordinal));
        output.WriteLine(took.Message);
    }

    [Fact]
    public async Task A_ppt_an_odp_and_a_docx_are_converted_too_keeping_the_notes_where_the_format_has_them()
    {
        var (session, _) = await _api.ScheduleAsync();
        var pptx = PowerPointFiles.Make(ModelDeck);
        var files = new[]
        {
            (Name: "旧版讲稿.ppt", Content: await PowerPointFiles.ConvertWithLibreOfficeAsync(pptx, "ppt"), Notes: true),
            (Name: "开源讲稿.odp", Content: await PowerPointFiles.ConvertWithLibreOfficeAsync(pptx, "odp"), Notes: true),
            (Name: "讲稿说明.docx", Content: PowerPointFiles.MakeWordDocument("社区防疫经验分享", "居家老人关爱服务"), Notes: false),
        };

        foreach (var (name, content, hasNotes) in files)
        {
            // Named as what they are not: the bytes decide.
            var upload = await _api.UploadDeckAsync(session, content, Path.ChangeExtension(name, ".pdf"));
            Assert.True(HttpStatusCode.Created == upload.StatusCode, $"{name}: {await upload.Content.ReadAsStringAsync()}");
            var deck = (await upload.Content.ReadFromJsonAsync<DeckView>(Api.Json))!;
            using var asHost = _api.Client(session.HostToken);
            using var pdf = PdfDocument.Open(await asHost.GetByteArrayAsync($"/api/decks/{deck.DeckId}"));
            var text = string.Concat(pdf.GetPages().SelectMany(p => p.Letters).Select(l => l.Value)).Replace(" ", "", StringComparison.Ordinal);
            Assert.Contains("社区防疫经验分享", text, StringComparison.Ordinal);
            Assert.Contains("居家老人关爱服务", text, StringComparison.Ordinal);

            var notes = await NotesAsync(session, deck.DeckId);
            if (hasNotes)
            {
                Assert.Equal(3, pdf.NumberOfPages);
                Assert.Equal(ModelDeck.Select(s => s.Notes), notes.Select(n => n.Text));
            }
            else
            {
                Assert.Empty(notes);
            }
        }
    }

    [Fact]
    public async Task A_corrupt_pptx_or_a_file_of_another_kind_is_refused_and_the_session_keeps_its_deck()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var first = (await (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(2), "讲稿.pdf")).Content.ReadFromJsonAsync<DeckView>(Api.Json))!;
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var decksBefore = await DeckCountAsync(session.Id);

        // A .pptx whose zip is garbage after its first bytes: LibreOffice cannot open it.
        var real = PowerPointFiles.Make(ModelDeck);
        var corrupt = real[..64].Concat(Enumerable.Range(0, 6000).Select(i => (byte)((i * 7919) % 251))).ToArray();
        var title = await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, corrupt, "坏文件.pptx"),
            HttpStatusCode.UnprocessableEntity, "conversion_failed");
        Assert.Contains("PDF", title, StringComparison.Ordinal);

        // A sound zip that is no office file, even named .pptx, and a text file: not a deck at all.
        using (var zipped = new MemoryStream())
        {
            using (var zip = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
            {
                await using var entry = zip.CreateEntry("notes.txt").Open();
                await entry.WriteAsync("你好"u8.ToArray());
            }

            await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, zipped.ToArray(), "假的.pptx"),
                HttpStatusCode.UnsupportedMediaType, "unsupported_deck_type");
        }

        await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, "社区防疫经验分享"u8.ToArray(), "讲稿.txt"),
            HttpStatusCode.UnsupportedMediaType, "unsupported_deck_type");

        // Nothing stored, nothing announced: the session still shows the PDF it had.
        Assert.Equal(decksBefore, await DeckCountAsync(session.Id));
        var slides = await viewer.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides));
        Assert.Equal(first.DeckId, slides.Deck?.DeckId);
        Assert.Empty(viewer.Received.OfType<DeckChanged>());
    }

    /// <summary>The current deck's notes, as the host page and the presenter view read them.</summary>
    private async Task<IReadOnlyList<SlideNote>> NotesAsync(Hub.Sessions.SessionScheduled session, long deckId)
    {
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var state = await host.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes));
        Assert.Equal(deckId, state.DeckId);
        return state.Notes;
    }

    private async Task<long> DeckCountAsync(long sessionId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from decks where session_id = @sessionId", new { sessionId });
    }

}

/// <summary>
/// The Hub on PostgreSQL with Redis, or on SQLite, at the default deck size (the shared fixtures' 200 KB
/// is less than a .ppt LibreOffice writes for three slides).
/// </summary>
public sealed class ConversionAppFixture(bool postgres) : IAsyncLifetime
{
    public ExchangeApp App { get; private set; } = null!;

    private readonly string _sqlite = TestServers.NewSqliteFile();

    public async Task InitializeAsync()
    {
        var settings = postgres
            ? (await TestServers.FreshHubSettingsAsync()).ToDictionary(kv => kv.Key, kv => (string?)kv.Value)
            : new Dictionary<string, string?> { ["ConnectionStrings:Sqlite"] = $"Data Source={_sqlite}" };
        App = new ExchangeApp(settings);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(_sqlite);
    }
}

public sealed class ConversionPostgresFixture() : IAsyncLifetime
{
    private readonly ConversionAppFixture _app = new(postgres: true);

    public ExchangeApp App => _app.App;

    public Task InitializeAsync() => _app.InitializeAsync();

    public Task DisposeAsync() => _app.DisposeAsync();
}

public sealed class ConversionSqliteFixture() : IAsyncLifetime
{
    private readonly ConversionAppFixture _app = new(postgres: false);

    public ExchangeApp App => _app.App;

    public Task InitializeAsync() => _app.InitializeAsync();

    public Task DisposeAsync() => _app.DisposeAsync();
}

public sealed class ConversionOnPostgres(ConversionPostgresFixture fixture, ITestOutputHelper output)
    : ConversionBehaviour(fixture.App, output), IClassFixture<ConversionPostgresFixture>;

public sealed class ConversionOnSqlite(ConversionSqliteFixture fixture, ITestOutputHelper output)
    : ConversionBehaviour(fixture.App, output), IClassFixture<ConversionSqliteFixture>;

/// <summary>
/// The converter's limits, with a converter the test writes (a script that never finishes) or none:
/// the deadline kills the whole process tree, the queue is bounded, a missing LibreOffice is said so.
/// The process handling is the same whatever the database; these run on SQLite.
/// </summary>
public sealed class ConversionLimitsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lx-hang-").FullName;
    private readonly string _sqlite = TestServers.NewSqliteFile();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(_sqlite);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A "LibreOffice" that notes its pid, its directory and memory limit, and its child's pid, then waits forever.</summary>
    private string HangingConverter()
    {
        var script = Path.Combine(_dir, "soffice");
        File.WriteAllText(script, $"""
            #!/bin/sh
            echo "$$ $(pwd) $(ulimit -v)" >> {_dir}/started
            sleep 600 &
            echo "$! child" >> {_dir}/started
            wait
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return script;
    }

    private ExchangeApp App(Dictionary<string, string?> decks) => new(new Dictionary<string, string?>(decks)
    {
        ["ConnectionStrings:Sqlite"] = $"Data Source={_sqlite}",
    });

    [Fact]
    public async Task A_conversion_that_hangs_is_killed_at_its_deadline_with_everything_it_started_and_nothing_is_stored()
    {
        await using var app = App(new()
        {
            ["Decks:Converter"] = HangingConverter(),
            ["Decks:ConvertSeconds"] = "2",
            ["Decks:ConvertMemoryMb"] = "300",
        });
        var api = new Api(app.BaseAddress);
        var (session, _) = await api.ScheduleAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Api.AssertProblemAsync(await api.UploadDeckAsync(session, PowerPointFiles.Make(ConversionBehaviour.ModelDeck), "讲稿.pptx"),
            HttpStatusCode.UnprocessableEntity, "conversion_timeout");
        Assert.InRange(clock.Elapsed.TotalSeconds, 2, 15);

        // The script and its child are gone (a zombie waiting for init to reap it is gone too: it runs
        // nothing and holds nothing), and so is the work directory it ran in.
        var started = (await File.ReadAllLinesAsync(Path.Combine(_dir, "started"))).Select(l => l.Split(' ')).ToArray();
        Assert.Equal(2, started.Length);
        foreach (var pid in started.Select(s => int.Parse(s[0], System.Globalization.CultureInfo.InvariantCulture)))
        {
            await WaitGoneAsync(pid);
        }

        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "lx-convert-"), started[0][1], StringComparison.Ordinal);
        Assert.False(Directory.Exists(started[0][1]), "the work directory is deleted");
        Assert.Equal("307200", started[0][2]); // Decks:ConvertMemoryMb reached the converter as its address-space limit (KiB).

        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from decks"));
        using var anyone = api.Client();
        Assert.True((await anyone.GetFromJsonAsync<Limits>("/api/limits", Api.Json))!.OfficeDecks);
    }

    [Fact]
    public async Task Past_the_running_conversion_and_the_queue_an_upload_is_told_busy_with_a_retry_time()
    {
        await using var app = App(new()
        {
            ["Decks:Converter"] = HangingConverter(),
            ["Decks:ConvertSeconds"] = "5",
            ["Decks:ConcurrentConversions"] = "1",
            ["Decks:ConversionQueue"] = "1",
        });
        var api = new Api(app.BaseAddress);
        var (session, _) = await api.ScheduleAsync();
        var pptx = PowerPointFiles.Make(ConversionBehaviour.ModelDeck);

        var running = api.UploadDeckAsync(session, pptx, "一.pptx");
        await WaitUntilAsync(() => File.Exists(Path.Combine(_dir, "started")));
        var waiting = api.UploadDeckAsync(session, pptx, "二.pptx");
        await Task.Delay(1000); // The second is admitted (it sends a few kilobytes on loopback) and waits for the slot.
        Assert.False(waiting.IsCompleted);

        var busy = await api.UploadDeckAsync(session, pptx, "三.pptx");
        await Api.AssertProblemAsync(busy, HttpStatusCode.ServiceUnavailable, "conversion_busy");
        Assert.Equal(TimeSpan.FromSeconds(5), busy.Headers.RetryAfter?.Delta);

        // The two admitted ones run one after the other, each to its deadline; then a slot is free again.
        await Api.AssertProblemAsync(await running, HttpStatusCode.UnprocessableEntity, "conversion_timeout");
        await Api.AssertProblemAsync(await waiting, HttpStatusCode.UnprocessableEntity, "conversion_timeout");
        Assert.Equal(4, (await File.ReadAllLinesAsync(Path.Combine(_dir, "started"))).Length);
    }

    [Fact]
    public async Task Without_LibreOffice_an_office_upload_is_told_to_use_a_PDF_and_the_page_is_told_up_front()
    {
        await using var app = App(new() { ["Decks:Converter"] = Path.Combine(_dir, "no-such-soffice") });
        var api = new Api(app.BaseAddress);
        var (session, _) = await api.ScheduleAsync();

        var title = await Api.AssertProblemAsync(await api.UploadDeckAsync(session, PowerPointFiles.Make(ConversionBehaviour.ModelDeck), "讲稿.pptx"),
            HttpStatusCode.UnprocessableEntity, "conversion_unavailable");
        Assert.Contains("PDF", title, StringComparison.Ordinal);
        using var anyone = api.Client();
        Assert.False((await anyone.GetFromJsonAsync<Limits>("/api/limits", Api.Json))!.OfficeDecks);

        // PDFs still work.
        Assert.Equal(HttpStatusCode.Created, (await api.UploadDeckAsync(session, DemoSession.SampleDeck(2))).StatusCode);
    }

    [Theory]
    [InlineData("Decks:ConvertSeconds", "0")]
    [InlineData("Decks:ConvertMemoryMb", "64")]
    [InlineData("Decks:ConcurrentConversions", "0")]
    [InlineData("Decks:ConversionQueue", "-1")]
    [InlineData("Decks:Converter", "")]
    public void A_wrong_conversion_setting_stops_start_up_naming_its_key(string key, string value)
    {
        var failure = Record.Exception(() => App(new() { [key] = value }).Dispose());
        Assert.NotNull(failure);
        var messages = string.Join(" | ", Flatten(failure));
        Assert.Contains(key, messages, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Flatten(Exception e) =>
        e is AggregateException all ? all.InnerExceptions.SelectMany(Flatten) : [e.Message, .. e.InnerException is null ? [] : Flatten(e.InnerException)];

    private static async Task WaitGoneAsync(int pid)
    {
        await WaitUntilAsync(() =>
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat))
            {
                return true;
            }

            try
            {
                // "pid (comm) S ...": the state follows the last ')'.
                var text = File.ReadAllText(stat);
                return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
            }
            catch (IOException)
            {
                return true;
            }
        }, $"process {pid} still running");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string? what = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what ?? "timed out waiting");
            await Task.Delay(50);
        }
    }
}
