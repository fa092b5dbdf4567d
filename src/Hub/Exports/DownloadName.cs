using System.Text;
using Microsoft.Net.Http.Headers;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// File names that say what a file is: "2026-03-16 苏冀云牵手 出勤 attendance.xlsx". Sent as
/// Content-Disposition with an ASCII <c>filename=</c> ("2026-03-16 attendance.xlsx") for old clients
/// and the full name as RFC 5987 <c>filename*=UTF-8''…</c>. TypedResults.File's fileDownloadName
/// would turn every Chinese character of the plain name into "_", hence the header made here.
/// </summary>
public sealed record DownloadName(string Full, string Ascii)
{
    private const int TitleMax = 60;

    /// <summary>
    /// The parts joined by spaces: a date, a title (user text, made safe), the label in the chosen
    /// language (Chinese only; the English key follows anyway) and the English key.
    /// </summary>
    public static DownloadName Of(string date, string? title, Words label, string key, ExportLanguage lang, string extension)
    {
        var parts = new[] { date, title is null ? null : Safe(title), lang == ExportLanguage.Zh ? Safe(label.Zh) : null, key }
            .Where(p => !string.IsNullOrEmpty(p));
        return new DownloadName($"{string.Join(' ', parts)}.{extension}", $"{date} {key}.{extension}");
    }

    public string ContentDisposition() => new ContentDispositionHeaderValue("attachment")
    {
        FileName = $"\"{Ascii}\"",
        FileNameStar = Full,
    }.ToString();

    /// <summary>
    /// Letters, digits and a little punctuation; anything a file system or a header could take badly
    /// (/ \ : * ? " &lt; &gt; | controls, quotes) becomes a space, and runs of spaces one.
    /// </summary>
    internal static string Safe(string text)
    {
        var safe = new StringBuilder();
        foreach (var c in text)
        {
            var keep = char.IsLetterOrDigit(c) || c is '-' or '_' or '(' or ')' or '（' or '）' or '·' or '，' or '、' or '.';
            var next = keep ? c : ' ';
            if (next != ' ' || (safe.Length > 0 && safe[^1] != ' '))
            {
                safe.Append(next);
            }
        }

        var trimmed = safe.ToString().Trim().Trim('.').Trim();
        return trimmed.Length > TitleMax ? trimmed[..TitleMax].TrimEnd() : trimmed;
    }
}
