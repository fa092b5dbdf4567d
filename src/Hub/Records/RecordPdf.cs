using System.Globalization;
using LiveExchange.Hub.Documents;
using LiveExchange.Hub.Exports;
using LiveExchange.Shared;
using SkiaSharp;
using UglyToad.PdfPig.Writer;

namespace LiveExchange.Hub.Records;

/// <summary>
/// The learning record as a PDF in one language: the summary set in the CJK font, then the deck's own
/// pages appended unchanged (PdfPig's merger copies them; nothing is rasterised).
/// </summary>
internal static class RecordPdf
{
    private static readonly SKColor Accent = new(0x1f, 0x4e, 0x79);
    private static readonly SKColor Muted = new(0x55, 0x55, 0x55);
    private static readonly SKColor BarColour = new(0x4a, 0x86, 0xc5);

    public static byte[] Write(SKTypeface typeface, LearningRecord r, ExportLanguage lang, byte[]? deck)
    {
        if (deck is null)
        {
            return Summary(typeface, r, lang, deckAppended: false);
        }

        try
        {
            return PdfMerger.Merge([Summary(typeface, r, lang, deckAppended: true), deck], null);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The upload check reads the deck's first page only; copying every page can still meet one the
            // merger cannot take (a damaged page, an owner password). The record is still worth having:
            // without the deck, saying so, rather than a 500 on every request.
            return Summary(typeface, r, lang, deckAppended: false);
        }
    }

    private static byte[] Summary(SKTypeface typeface, LearningRecord r, ExportLanguage lang, bool deckAppended)
    {
        var zh = lang == ExportLanguage.Zh;
        string W(string chinese, string english) => zh ? chinese : english;
        string Time(DateTimeOffset t) => t.ToString("HH:mm", CultureInfo.InvariantCulture);

        using var pdf = new PdfComposer(typeface, $"{W("学习记录", "Learning record")}: {r.Title}");
        pdf.Text(W("学习记录", "Learning record"), 12, Muted, spaceAfter: 2);
        pdf.Text(r.Title, 22, Accent, spaceAfter: 6);
        pdf.Text($"{r.Times.PlannedStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} {Time(r.Times.PlannedStart)}–{Time(r.Times.PlannedEnd)} ({r.TimeZone})",
            11, Muted);
        pdf.Text($"{W("主办", "Host")}: {r.HostAgency}（{r.HostCity}）", 11, Muted);
        if (r.Description.Length > 0)
        {
            pdf.Text(r.Description, 11, spaceAfter: 10);
        }

        Heading(pdf, W("议程（计划与实际）", "Agenda (planned and as it happened)"));
        pdf.Text(W($"实际开始 {Time(r.Times.StartedAt)}，{(r.Times.EndedByHand ? "实际结束" : "按计划结束")} {Time(r.Times.EndedAt)}",
            $"Started {Time(r.Times.StartedAt)}, {(r.Times.EndedByHand ? "ended" : "ended as planned at")} {Time(r.Times.EndedAt)}"), 11);
        foreach (var item in r.Agenda)
        {
            pdf.Text($"{Time(item.PlannedStart)}–{Time(item.PlannedEnd)}  {item.Title}{(item.Agency is null ? "" : $"（{item.Agency}）")}", 11);
        }

        Heading(pdf, W("出席", "Attendance"));
        var a = r.Attendance;
        pdf.Text(W($"{a.Agencies} 家机构，{a.Screens} 个屏幕，{a.People} 人", $"{a.Agencies} agencies, {a.Screens} screens, {a.People} people"), 11);
        foreach (var agency in a.ByAgency)
        {
            pdf.Text(W($"{agency.Agency}（{agency.City}）：{agency.Screens} 个屏幕，{agency.People} 人，{agency.Minutes} 分钟",
                $"{agency.Agency} ({agency.City}): {agency.Screens} screens, {agency.People} people, {agency.Minutes} min"), 11);
        }

        Heading(pdf, W("提问与回答", "Questions and answers"));
        if (r.Questions.Length == 0)
        {
            pdf.Text(W("没有提问。", "No questions were asked."), 11, Muted);
        }

        for (var i = 0; i < r.Questions.Length; i++)
        {
            var q = r.Questions[i];
            pdf.Text($"{i + 1}. {q.Text}", 11, spaceAfter: 0);
            var who = q.Agency is null ? W("匿名", "Anonymous") : $"{q.Agency}（{q.City}）";
            pdf.Text($"    {who} · {W("点赞", "votes")} {q.Votes}{(q.Answered ? W(" · 已回答", " · answered") : "")}", 9, Muted, spaceAfter: q.Reply is null ? 6 : 0);
            if (q.Reply is not null)
            {
                pdf.Text($"    {W("回复", "Reply")}: {q.Reply}", 10, Accent, spaceAfter: 6);
            }
        }

        Heading(pdf, W("投票结果", "Poll results"));
        if (r.Polls.Length == 0)
        {
            pdf.Text(W("没有发起投票。", "No polls were launched."), 11, Muted);
        }

        foreach (var poll in r.Polls)
        {
            var byPeople = poll.Counting == PollCountings.People;
            pdf.Text(poll.Question, 12, spaceAfter: 0);
            pdf.Text(byPeople
                    ? W($"按人数计：{poll.People} 人，{poll.Screens} 个屏幕", $"weighted by headcount: {poll.People} people on {poll.Screens} screens")
                    : W($"按屏幕计：{poll.Screens} 个屏幕", $"one per screen: {poll.Screens} screens"), 9, Muted, spaceAfter: 2);
            var total = Math.Max(1, byPeople ? poll.People : poll.Screens);
            foreach (var item in poll.Items)
            {
                var count = byPeople ? item.People : item.Screens;
                pdf.Text($"{item.Label}  {count}", 10, spaceAfter: 0);
                pdf.Bar((double)count / total, BarColour);
            }

            pdf.Space(6);
        }

        if (r.Deck is { } d)
        {
            Heading(pdf, W("课件", "Deck"));
            pdf.Text(deckAppended
                ? W($"{d.FileName}，共 {d.PageCount} 页，附在本记录之后。", $"{d.FileName}, {d.PageCount} pages, follows this summary.")
                : W($"{d.FileName}，共 {d.PageCount} 页，请在学习记录页面查看或下载。", $"{d.FileName}, {d.PageCount} pages: see or download it on the learning record page."), 11);
        }

        return pdf.Finish();
    }

    private static void Heading(PdfComposer pdf, string text)
    {
        pdf.Space(10);
        pdf.Text(text, 15, Accent, spaceAfter: 6);
    }
}
