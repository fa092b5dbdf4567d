using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Organising;

public sealed partial class OrganiserJourneyInBrowserTests
{
    /// <summary>The session report as the organiser downloads it: every export, feedback and absentees among them.</summary>
    private static async Task DownloadReportAsync(IPage page, ILocator article)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => article.Locator("a.download-report").ClickAsync());
        Assert.EndsWith("交流报告 report.zip", download.SuggestedFilename);
        using var zip = new ZipArchive(File.OpenRead((await download.PathAsync())!));
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        foreach (var expected in new[] { " attendance.xlsx", " questions.xlsx", " feedback.xlsx", " roster.xlsx", " feedback-responses.csv", " roster-absentees.csv" })
        {
            Assert.Contains(names, n => n.EndsWith(expected, StringComparison.Ordinal));
        }

        // Feedback: the response as given, the formula-looking text a string (never a formula), and the summary.
        using (var book = Open(zip, " feedback.xlsx"))
        {
            var responses = Spreadsheets.Rows(book, "反馈明细");
            var header = Array.IndexOf(responses, responses.First(r => r.FirstOrDefault() == "机构"));
            Assert.Equal(["机构", "城市", "显示名称", "代表人数", "提交时间", "最后修改"], responses[header][..6]);
            Assert.StartsWith("1. ", responses[header][6]);
            var row = responses[header + 1];
            Assert.Equal(["邢台市益襄社会工作服务中心", "邢台", "会议室大屏", "10"], row[..4]);
            Assert.Equal(["5", "4", "网格员与社工结对的做法", "=HYPERLINK(\"http://example.invalid\")"], row[6..10]);
            Assert.False(Spreadsheets.HasFormula(book, "反馈明细"));

            var summary = Spreadsheets.Rows(book, "反馈汇总");
            var all = summary.First(r => r.Length > 1 && r[1] == "全部反馈");
            Assert.Equal(["1", "10"], all[3..5]);
            var overall = summary.First(r => r.Length > 0 && r[0] == "1" && r[1] != "");
            Assert.Equal(5m, decimal.Parse(overall[5], System.Globalization.CultureInfo.InvariantCulture));
        }

        // Who stayed away: the two agencies that never came, and the one that did, as the page shows.
        using (var book = Open(zip, " roster.xlsx"))
        {
            var absentees = Spreadsheets.Rows(book, "缺席机构");
            Assert.Equal(2, absentees.Count(r => r.Length > 0 && r[0].StartsWith("邢台市", StringComparison.Ordinal)));
            var agencies = Spreadsheets.Rows(book, "受邀机构");
            var attended = agencies.Single(r => r.Length > 3 && r[3] == "已到场");
            Assert.Equal(["邢台市益襄社会工作服务中心", "邢台", "河北", "已到场", "李华"], attended[..5]);
            Assert.Equal("12", attended[6]);
            Assert.Equal("10", attended[9]);
        }

        // The same answer in a CSV: defused with a quote so a spreadsheet shows it as text.
        var csv = zip.Entries.Single(e => e.FullName.EndsWith(" feedback-responses.csv", StringComparison.Ordinal));
        using var reader = new StreamReader(csv.Open(), Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        Assert.Contains("\"'=HYPERLINK(\"\"http://example.invalid\"\")\"", text);
    }

    private static SpreadsheetDocument Open(ZipArchive zip, string suffix)
    {
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        var copy = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(copy);
        }

        return Spreadsheets.Open(copy.ToArray());
    }
}
