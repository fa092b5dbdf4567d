using System.Globalization;
using LiveExchange.Hub.Documents;
using QRCoder;
using SkiaSharp;

namespace LiveExchange.Hub.Certificates;

/// <summary>What one certificate says.</summary>
internal sealed record CertificateContent(
    string HolderName, string AgencyName, string SessionTitle, string LocalDate, string HostAgency, decimal CeHours, string Code, string VerifyUrl);

/// <summary>
/// One certificate as an A4 page, in Chinese and English at once (the holder's colleagues, a bureau and
/// an English-speaking funder read the same paper). The QR code is a real image (PNG, kept sharp), so
/// phones scan it from print and a program can take it out of the PDF.
/// </summary>
internal static class CertificatePdf
{
    private const int QrPixelsPerModule = 8;
    private const float QrSize = 130f;

    private static readonly SKColor Accent = new(0x1f, 0x4e, 0x79);
    private static readonly SKColor Muted = new(0x55, 0x55, 0x55);

    public static byte[] Write(SKTypeface typeface, CertificateContent c)
    {
        using var pdf = new PdfComposer(typeface, $"继续教育学时证明 Certificate {c.Code}");
        pdf.Space(40);
        pdf.Text("继续教育学时证明", 30, Accent, centred: true, spaceAfter: 2);
        pdf.Text("Certificate of Continuing Education", 16, Accent, centred: true, spaceAfter: 36);
        pdf.Text("兹证明 This is to certify that", 13, Muted, centred: true, spaceAfter: 10);
        pdf.Text(c.HolderName, 28, centred: true, spaceAfter: 4);
        pdf.Text(c.AgencyName, 15, Muted, centred: true, spaceAfter: 28);
        pdf.Text("参加了 attended", 13, Muted, centred: true, spaceAfter: 10);
        pdf.Text($"《{c.SessionTitle}》", 20, centred: true, spaceAfter: 6);
        pdf.Text($"{c.LocalDate} · 主办 Host: {c.HostAgency}", 13, Muted, centred: true, spaceAfter: 28);
        var hours = c.CeHours.ToString("0.##", CultureInfo.InvariantCulture);
        pdf.Text($"继续教育学时 {hours} 学时", 20, Accent, centred: true, spaceAfter: 2);
        pdf.Text($"Continuing-education hours: {hours}", 14, Accent, centred: true, spaceAfter: 40);

        var qrTop = PdfComposer.A4Height - 56 - QrSize - 40;
        pdf.Image(Qr(c.VerifyUrl), (PdfComposer.A4Width - QrSize) / 2, qrTop, QrSize);
        using var font = new SKFont(typeface, 11);
        using var paint = new SKPaint { Color = Muted, IsAntialias = true };
        var lines = new[] { $"验证码 Verification code: {c.Code}", c.VerifyUrl };
        for (var i = 0; i < lines.Length; i++)
        {
            var width = font.MeasureText(lines[i]);
            pdf.Canvas.DrawText(lines[i], (PdfComposer.A4Width - width) / 2, qrTop + QrSize + 18 + i * 15, SKTextAlign.Left, font, paint);
        }

        return pdf.Finish();
    }

    private static byte[] Qr(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        using var png = new PngByteQRCode(data);
        return png.GetGraphic(QrPixelsPerModule);
    }
}
