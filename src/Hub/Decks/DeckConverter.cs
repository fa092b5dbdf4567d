using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Runtime.InteropServices;
using LiveExchange.Hub.Problems;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Decks;

/// <summary>Office decks turned into PDF by LibreOffice (section "Decks", beside <see cref="DeckOptions"/>).</summary>
public sealed class DeckConversionOptions
{
    /// <summary>Decks:Converter. LibreOffice's soffice: a name looked up on PATH, or a path. Missing: office uploads get conversion_unavailable.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Decks:Converter must name LibreOffice's soffice (on PATH or as a path).")]
    public string Converter { get; set; } = "soffice";

    /// <summary>Decks:ConvertSeconds. One conversion's wall time; past it the whole process tree is killed.</summary>
    [Range(1, 900, ErrorMessage = "Decks:ConvertSeconds must be between 1 and 900.")]
    public int ConvertSeconds { get; set; } = 90;

    /// <summary>Decks:ConvertMemoryMb. Address space one conversion may map (prlimit --as); a file that needs more fails.</summary>
    [Range(256, 65536, ErrorMessage = "Decks:ConvertMemoryMb must be between 256 and 65536.")]
    public int ConvertMemoryMb { get; set; } = 2048;

    /// <summary>Decks:ConcurrentConversions. Conversions running at once per instance (each takes a core and its memory).</summary>
    [Range(1, 16, ErrorMessage = "Decks:ConcurrentConversions must be between 1 and 16.")]
    public int ConcurrentConversions { get; set; } = 1;

    /// <summary>Decks:ConversionQueue. Uploads that may wait for a conversion slot per instance; more get conversion_busy.</summary>
    [Range(0, 100, ErrorMessage = "Decks:ConversionQueue must be between 0 and 100.")]
    public int ConversionQueue { get; set; } = 4;
}

/// <summary>A converted deck: the PDF, and the speaker notes by page where the file had them.</summary>
public sealed record ConvertedDeck(byte[] Pdf, IReadOnlyDictionary<int, string> Notes, TimeSpan Took);

/// <summary>
/// Runs LibreOffice headless, one process per conversion, each in a work directory and a LibreOffice
/// profile of its own (two conversions sharing a profile wait on each other's lock, or fail), under
/// an address-space limit, in a process group of its own so a deadline kills everything it started.
/// A few run at once per instance; a short queue waits; beyond that the host hears "busy, try again".
/// </summary>
public sealed class DeckConverter(IOptions<DeckConversionOptions> options, ILogger<DeckConverter> logger)
{
    private const int SigKill = 9;

    /// <summary>What LibreOffice prints that we keep for the log on a failure.</summary>
    private const int OutputKept = 4096;

    private readonly DeckConversionOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.ConcurrentConversions, options.Value.ConcurrentConversions);
    private int _admitted;
    private int _warnedMissing;

    /// <summary>True when the converter can be found (the host page then offers office files).</summary>
    public bool Available => ResolveConverter() is not null;

    /// <summary>
    /// Converts an office deck into PDF bytes (at most <paramref name="maxPdfBytes"/>), with the speaker
    /// notes of a .pptx, .ppt or .odp by page. Refusals: conversion_unavailable, conversion_busy, conversion_timeout,
    /// conversion_failed, deck_too_large.
    /// </summary>
    public async Task<ConvertedDeck> ConvertAsync(byte[] content, DeckKind kind, long maxPdfBytes, CancellationToken ct)
    {
        var converter = ResolveConverter() ?? throw Unavailable();

        // Running and waiting together; the one past the queue is told at once, before it waits at all.
        if (Interlocked.Increment(ref _admitted) > _options.ConcurrentConversions + _options.ConversionQueue)
        {
            Interlocked.Decrement(ref _admitted);
            throw new ExchangeProblem(StatusCodes.Status503ServiceUnavailable, "conversion_busy",
                "Other decks are being converted right now; try again in a minute, or upload a PDF.")
            {
                RetryAfterSeconds = _options.ConvertSeconds,
            };
        }

        try
        {
            await _slots.WaitAsync(ct);
            try
            {
                return await ConvertInSlotAsync(converter, content, kind, maxPdfBytes, ct);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
        }
    }

    private async Task<ConvertedDeck> ConvertInSlotAsync(string converter, byte[] content, DeckKind kind, long maxPdfBytes, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // One deadline for the whole conversion, however many LibreOffice runs it takes.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(_options.ConvertSeconds));
        var work = Directory.CreateTempSubdirectory("lx-convert-");
        try
        {
            // Our own names in our own directory: the uploader's file name never reaches a command line.
            var input = Path.Combine(work.FullName, "deck" + DeckFormats.Extension(kind));
            await File.WriteAllBytesAsync(input, content, ct);

            var pdfPath = await RunAsync(converter, work.FullName, input, "pdf", kind, deadline.Token, ct);
            var pdfSize = new FileInfo(pdfPath).Length;
            if (pdfSize > maxPdfBytes)
            {
                throw ExchangeProblem.TooLarge("deck_too_large",
                    $"As PDF the deck is larger than {maxPdfBytes / (1024 * 1024.0):0.#} MB. Use smaller images and try again.");
            }

            var pdf = await File.ReadAllBytesAsync(pdfPath, CancellationToken.None);
            var notes = kind switch
            {
                DeckKind.Pptx => PowerPointNotes.Read(content),
                // LibreOffice writes the notes of a .ppt or .odp into a .pptx as PowerPoint would: one more
                // run in the same profile (a second start is quicker), read like an uploaded .pptx.
                DeckKind.Ppt or DeckKind.Odp => await NotesThroughPptxAsync(converter, work.FullName, input, kind, deadline.Token, ct),
                _ => new Dictionary<int, string>(),
            };
            logger.LogInformation("Converted a {Kind} deck of {Bytes} bytes to a PDF of {PdfBytes} bytes with {Notes} notes in {Milliseconds} ms",
                kind, content.Length, pdf.Length, notes.Count, clock.ElapsedMilliseconds);
            return new ConvertedDeck(pdf, notes, clock.Elapsed);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException e)
            {
                logger.LogWarning("Could not delete the conversion directory {Directory}: {Reason}", work.FullName, e.Message);
            }
        }
    }

    private async Task<IReadOnlyDictionary<int, string>> NotesThroughPptxAsync(string converter, string work, string input, DeckKind kind,
        CancellationToken deadline, CancellationToken ct)
    {
        try
        {
            return PowerPointNotes.Read(await File.ReadAllBytesAsync(await RunAsync(converter, work, input, "pptx", kind, deadline, ct), ct));
        }
        catch (ExchangeProblem e) when (e.Code == "conversion_failed" || (e.Code == "conversion_timeout" && !ct.IsCancellationRequested))
        {
            // The slides made it; a deck without notes is still a deck. That includes the notes run
            // running out of the shared deadline: the PDF the host waited for is good.
            return new Dictionary<int, string>();
        }
    }

    /// <summary>
    /// One LibreOffice run: <paramref name="input"/> into <paramref name="format"/> in a directory of its
    /// own under <paramref name="work"/>; returns the file made. Past the deadline the process group is killed.
    /// </summary>
    private async Task<string> RunAsync(string converter, string work, string input, string format, DeckKind kind,
        CancellationToken deadline, CancellationToken ct)
    {
        var outDir = Directory.CreateDirectory(Path.Combine(work, "out-" + format)).FullName;
        var profile = Directory.CreateDirectory(Path.Combine(work, "profile")).FullName;
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = work,
        };
        // setsid: a session and process group of its own, so a kill reaches soffice.bin and anything
        // else it starts; prlimit: the address-space limit, inherited by all of them.
        foreach (var arg in new[]
        {
            "prlimit", $"--as={(long)_options.ConvertMemoryMb * 1024 * 1024}", "--",
            converter, $"-env:UserInstallation={new Uri(profile + "/").AbsoluteUri}",
            "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", format, "--outdir", outDir, input,
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = work;
        start.Environment["TMPDIR"] = work;

        Process? started;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            logger.LogWarning("Could not start the converter: {Reason}", e.Message);
            throw Unavailable();
        }

        using var process = started ?? throw Unavailable();
        var output = ReadTailAsync(process.StandardOutput);
        var errors = ReadTailAsync(process.StandardError);
        try
        {
            await process.WaitForExitAsync(deadline);
        }
        catch (OperationCanceledException)
        {
            KillGroup(process);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested(); // The host went away: nobody to answer.
            logger.LogWarning("Conversion of a {Kind} deck killed after {Seconds} s", kind, _options.ConvertSeconds);
            throw new ExchangeProblem(StatusCodes.Status422UnprocessableEntity, "conversion_timeout",
                $"Converting this file took longer than {_options.ConvertSeconds} seconds. Save it as PDF and upload that.");
        }

        // soffice may leave helpers behind in its group even after a clean exit.
        KillGroup(process);
        var said = (await output) + (await errors);
        var made = new FileInfo(Path.Combine(outDir, "deck." + format));
        if (process.ExitCode != 0 || !made.Exists || made.Length == 0)
        {
            // soffice says "source file could not be loaded" and exits 0: the missing file is the answer.
            logger.LogWarning("Conversion of a {Kind} deck to {Format} failed (exit {ExitCode}): {Output}", kind, format, process.ExitCode, said.Trim());
            throw Failed();
        }

        return made.FullName;
    }

    internal static ExchangeProblem Failed() => new(StatusCodes.Status422UnprocessableEntity, "conversion_failed",
        "LibreOffice could not open this file. Save it again (or as PDF) and upload that.");

    private static ExchangeProblem Unavailable() => new(StatusCodes.Status422UnprocessableEntity, "conversion_unavailable",
        "This server cannot convert office files (LibreOffice is not installed). Save the slides as PDF and upload that.");

    /// <summary>
    /// The converter's full path (as configured if it has a slash, else the first match on PATH), or null
    /// when it, or setsid and prlimit that fence it (util-linux), cannot be found.
    /// </summary>
    private string? ResolveConverter()
    {
        var name = _options.Converter;
        var found = name.Contains('/') ? (IsExecutable(name) ? Path.GetFullPath(name) : null) : OnPath(name);
        var fences = OnPath("setsid") is not null && OnPath("prlimit") is not null;
        if ((found is null || !fences) && Interlocked.Exchange(ref _warnedMissing, 1) == 0)
        {
            logger.LogWarning("Office decks are refused (conversion_unavailable), PDFs work: {Missing} not found",
                found is null ? $"Decks:Converter '{name}'" : "setsid or prlimit (util-linux)");
        }

        return fences ? found : null;
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(IsExecutable);

    private static bool IsExecutable(string path) =>
        !OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>SIGKILL to the process group setsid made (its id is the leader's pid); the tree as a fallback.</summary>
    private void KillGroup(Process process)
    {
        if (Kill(-process.Id, SigKill) != 0 && !process.HasExited)
        {
            logger.LogWarning("Could not signal the conversion's process group {Group} (errno {Errno}); killing its tree", process.Id, Marshal.GetLastPInvokeError());
            process.Kill(entireProcessTree: true);
        }
    }

    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        var text = await reader.ReadToEndAsync();
        return text.Length > OutputKept ? text[^OutputKept..] : text;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
