using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Slides;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Live;
using LiveExchange.Tests.Scenarios;
using LiveExchange.Tests.ScaleOut;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace LiveExchange.Tests.Presenting;

/// <summary>
/// Speaker notes (host only, limits, the file's notes beside typed ones) and the deck download the
/// host offers viewers, through HTTP and the hub, on both databases.
/// </summary>
public abstract class PresentingTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    private async Task<(SessionScheduled Session, Agency Invited, DeckView Deck)> SessionWithDeckAsync(int pages = 4)
    {
        var (session, invited) = await _api.ScheduleAsync();
        var upload = await _api.UploadDeckAsync(session, DemoSession.SampleDeck(pages), "讲稿.pdf");
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        return (session, invited[0], (await upload.Content.ReadFromJsonAsync<DeckView>(Api.Json))!);
    }

    [Fact]
    public async Task Notes_reach_every_host_screen_and_no_viewer_or_moderator_can_read_or_write_them()
    {
        var (session, invited, deck) = await SessionWithDeckAsync();
        await using var hostPage = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        await using var presenterView = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited.Id, "李华", 5);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, ModerationBehaviour.ModeratorToken(session));

        const string note = "先讲疫情期间的三个社区故事，\n再请邢台的伙伴补充。";
        var changed = await hostPage.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 2, note);
        Assert.Equal(note, changed.Note.Text);
        Assert.Equal(SlideNoteSources.Typed, changed.Note.Source);

        // The presenter view (another connection with the host token) gets it as an event, and reads it back.
        var seen = await presenterView.WaitForAsync<SlideNoteChanged>(c => c.Note.Page == 2);
        Assert.Equal(note, seen.Note.Text);
        Assert.Equal(changed.Version, seen.Version);
        var all = await presenterView.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes));
        Assert.Equal(deck.DeckId, all.DeckId);
        Assert.Equal(SlideNotes.MaxChars, all.MaxChars);
        Assert.Equal(new[] { (2, note) }, all.Notes.Select(n => (n.Page, n.Text)));
        Assert.Equal(changed.Version, all.Version);

        // Viewers and moderators: refused both ways, and never sent it.
        foreach (var screen in new[] { viewer, moderator })
        {
            var read = await Assert.ThrowsAsync<HubException>(() => screen.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes)));
            Assert.Contains("[host_only]", read.Message);
            var write = await Assert.ThrowsAsync<HubException>(() => screen.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 1, "偷偷写"));
            Assert.Contains("[host_only]", write.Message);
        }

        // One more change after the refusals: once the hosts have it, nothing is still on its way to the others.
        await hostPage.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 3, "第三页");
        await presenterView.WaitForAsync<SlideNoteChanged>(c => c.Note.Page == 3);
        await Task.Delay(300);
        foreach (var screen in new[] { viewer, moderator })
        {
            Assert.Empty(screen.Received.OfType<SlideNoteChanged>());
            var snapshot = await screen.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
            var json = JsonSerializer.Serialize(snapshot, Api.Json);
            Assert.DoesNotContain("社区故事", json);
            Assert.DoesNotContain("第三页", json);
        }

        // Stored once, as typed; the refused writes stored nothing.
        Assert.Equal(new[] { (2L, note, "typed"), (3L, "第三页", "typed") }, await StoredAsync(deck.DeckId));

        // Empty text clears the note, on every host screen.
        var cleared = await hostPage.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 2, "  ");
        Assert.Equal("", cleared.Note.Text);
        await presenterView.WaitForAsync<SlideNoteChanged>(c => c.Note.Page == 2 && c.Note.Text == "");
        Assert.Equal(new[] { (3L, "第三页", "typed") }, await StoredAsync(deck.DeckId));
    }

    [Fact]
    public async Task Notes_past_the_limit_on_a_missing_page_or_of_another_sessions_deck_are_refused_with_their_codes_and_store_nothing()
    {
        var (session, _, deck) = await SessionWithDeckAsync(pages: 3);
        var (other, _, otherDeck) = await SessionWithDeckAsync(pages: 3);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var before = (await host.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes))).Version;

        async Task RefusedAsync(string code, long deckId, int page, string text)
        {
            var e = await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deckId, page, text));
            Assert.Contains($"[{code}]", e.Message);
        }

        await RefusedAsync("note_too_long", deck.DeckId, 1, new string('讲', SlideNotes.MaxChars + 1));
        await RefusedAsync("page_out_of_range", deck.DeckId, 0, "零");
        await RefusedAsync("page_out_of_range", deck.DeckId, 4, "第四页");
        await RefusedAsync("deck_not_found", otherDeck.DeckId, 1, "别人的讲稿");
        await RefusedAsync("not_text", deck.DeckId, 1, "bad\u202Etext");
        Assert.Empty(await StoredAsync(deck.DeckId));
        Assert.Empty(await StoredAsync(otherDeck.DeckId));
        Assert.Equal(before, (await host.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes))).Version); // No version spent.

        // Exactly the limit is fine.
        var full = new string('讲', SlideNotes.MaxChars);
        Assert.Equal(full, (await host.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 3, full)).Note.Text);
        Assert.NotEqual(other.Id, session.Id);
    }

    [Fact]
    public async Task Notes_from_a_converted_deck_show_beside_typed_ones_and_never_overwrite_them()
    {
        var (session, _, deck) = await SessionWithDeckAsync(pages: 3);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        await host.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 2, "我自己的话");

        // What the conversion does in its own transaction (the PowerPoint helper calls this).
        var notes = app.Services.GetRequiredService<SlideNotes>();
        var database = app.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync())
        {
            await using var tx = await database.BeginWriteAsync(connection);
            await notes.ReplaceFromDeckAsync(connection, tx, deck.DeckId, new Dictionary<int, string>
            {
                [1] = "文件里的备注\v第二行\u0007",
                [2] = "文件里的第二页",
                [3] = " \u200B ",
                [9] = "没有这一页",
                [0] = "也没有",
            });
            await tx.CommitAsync();
        }

        var state = await host.InvokeAsync<SlideNotesState>(nameof(IExchangeHub.GetSlideNotes));
        Assert.Equal(
            new[] { (1, "文件里的备注\n第二行", SlideNoteSources.Deck), (2, "我自己的话", SlideNoteSources.Typed) },
            state.Notes.Select(n => (n.Page, n.Text, n.Source)));

        // Typing over the file's note replaces it; a second conversion does not bring it back.
        await host.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 1, "改过的");
        await using (var connection = await database.OpenAsync())
        {
            await using var tx = await database.BeginWriteAsync(connection);
            await notes.ReplaceFromDeckAsync(connection, tx, deck.DeckId, new Dictionary<int, string> { [1] = "文件", [3] = new string('长', SlideNotes.MaxChars + 50) });
            await tx.CommitAsync();
        }

        var after = await StoredAsync(deck.DeckId);
        Assert.Equal(new[] { (1L, "改过的", "typed"), (2L, "我自己的话", "typed") }, after.Take(2));
        Assert.Equal((3L, "deck"), (after[2].Page, after[2].Source));
        Assert.Equal(SlideNotes.MaxChars, after[2].Text.Length);
    }

    [Fact]
    public async Task The_deck_download_is_offered_to_viewers_only_when_the_host_allows_it_while_rendering_always_works()
    {
        var (session, invited, deck) = await SessionWithDeckAsync();
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited.Id, "李华", 5);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        using var asViewer = _api.Client(joined.ParticipantToken);
        using var asHost = _api.Client(session.HostToken);

        Assert.False(viewer.Received.OfType<SessionSnapshot>().Single().Slides.DeckDownloadable);
        // Rendering: the bytes, to any screen of the session.
        var render = await asViewer.GetAsync($"/api/decks/{deck.DeckId}");
        Assert.Equal(HttpStatusCode.OK, render.StatusCode);
        Assert.Null(render.Content.Headers.ContentDisposition);
        // The offered download: refused to a viewer, always the host's.
        await Api.AssertProblemAsync(await asViewer.GetAsync($"/api/decks/{deck.DeckId}?download=1"), HttpStatusCode.Forbidden, "deck_download_off");
        var hostDownload = await asHost.GetAsync($"/api/decks/{deck.DeckId}?download=1");
        Assert.Equal(HttpStatusCode.OK, hostDownload.StatusCode);
        Assert.Equal("attachment", hostDownload.Content.Headers.ContentDisposition?.DispositionType);

        // Only the host may change it.
        var refused = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<DeckDownloadChanged>(nameof(IExchangeHub.SetDeckDownloadable), true));
        Assert.Contains("[host_only]", refused.Message);

        var slidesBefore = (await viewer.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides))).Version;
        var allowed = await host.InvokeAsync<DeckDownloadChanged>(nameof(IExchangeHub.SetDeckDownloadable), true);
        Assert.True(allowed.Downloadable);
        Assert.Equal(slidesBefore + 1, allowed.Version); // The slides stream, in order with pages and decks.
        Assert.True((await viewer.WaitForAsync<DeckDownloadChanged>(c => c.Version == allowed.Version)).Downloadable);
        var slides = await viewer.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides));
        Assert.True(slides.DeckDownloadable);
        Assert.Equal(allowed.Version, slides.Version);

        var download = await asViewer.GetAsync($"/api/decks/{deck.DeckId}?download=1");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("讲稿.pdf", download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal(await render.Content.ReadAsByteArrayAsync(), await download.Content.ReadAsByteArrayAsync());

        // Switched off again: refused again, and every screen hears it.
        var off = await host.InvokeAsync<DeckDownloadChanged>(nameof(IExchangeHub.SetDeckDownloadable), false);
        Assert.False((await viewer.WaitForAsync<DeckDownloadChanged>(c => c.Version == off.Version)).Downloadable);
        await Api.AssertProblemAsync(await asViewer.GetAsync($"/api/decks/{deck.DeckId}?download=1"), HttpStatusCode.Forbidden, "deck_download_off");
        Assert.Equal(HttpStatusCode.OK, (await asViewer.GetAsync($"/api/decks/{deck.DeckId}")).StatusCode);
    }

    private async Task<List<(long Page, string Text, string Source)>> StoredAsync(long deckId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<(long, string, string)>(connection,
            "select page, text, source from slide_notes where deck_id = @deckId order by page", new { deckId });
        return rows.ToList();
    }
}

public sealed class PresentingTestsOnPostgres(PostgresAppFixture fixture) : PresentingTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class PresentingTestsOnSqlite(SqliteAppFixture fixture) : PresentingTests(fixture.App), IClassFixture<SqliteAppFixture>;

/// <summary>The download setting and notes across two hub processes on one PostgreSQL and one Redis.</summary>
public sealed class PresentingTestsOnTwoInstances(TwoInstances hubs) : IClassFixture<TwoInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public async Task The_host_on_A_allows_the_download_and_a_viewer_on_B_hears_it_and_gets_the_file_from_B_and_notes_reach_a_presenter_view_on_B()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        var upload = await _onA.UploadDeckAsync(session, DemoSession.SampleDeck(3), "讲稿.pdf");
        var deck = (await upload.Content.ReadFromJsonAsync<DeckView>(Api.Json))!;
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        await using var presenterOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, session.HostToken);
        var joined = await _onB.JoinAsync(session.Code, invited[0].Id, "李华", 5);
        await using var viewerOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, joined.ParticipantToken);
        using var asViewerOnB = _onB.Client(joined.ParticipantToken);

        await Api.AssertProblemAsync(await asViewerOnB.GetAsync($"/api/decks/{deck.DeckId}?download=1"), HttpStatusCode.Forbidden, "deck_download_off");
        var allowed = await host.InvokeAsync<DeckDownloadChanged>(nameof(IExchangeHub.SetDeckDownloadable), true);
        Assert.True((await viewerOnB.WaitForAsync<DeckDownloadChanged>(c => c.Version == allowed.Version)).Downloadable);
        Assert.True((await presenterOnB.WaitForAsync<DeckDownloadChanged>(c => c.Version == allowed.Version)).Downloadable);
        var download = await asViewerOnB.GetAsync($"/api/decks/{deck.DeckId}?download=1");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);

        // A note typed in the host page on A shows in the presenter view on B; the viewer on B never gets it.
        var typed = await host.InvokeAsync<SlideNoteChanged>(nameof(IExchangeHub.SetSlideNote), deck.DeckId, 1, "开场白：问候邢台的伙伴");
        Assert.Equal("开场白：问候邢台的伙伴", (await presenterOnB.WaitForAsync<SlideNoteChanged>(c => c.Version == typed.Version)).Note.Text);
        // Driving from the presenter view on B moves the viewers (and the host page on A).
        var moved = await presenterOnB.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 3);
        await viewerOnB.WaitForAsync<PageChanged>(p => p.Version == moved.Version && p.Page == 3);
        await host.WaitForAsync<PageChanged>(p => p.Version == moved.Version && p.Page == 3);
        Assert.Empty(viewerOnB.Received.OfType<SlideNoteChanged>());
    }
}
