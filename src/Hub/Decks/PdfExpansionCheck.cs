using System.Diagnostics;
using System.IO.Compression;
using LiveExchange.Hub.Problems;

namespace LiveExchange.Hub.Decks;

/// <summary>
/// Measures what a PDF's compressed streams expand to, before anything parses it. A 2 MB deck can
/// hold a content stream that inflates to gigabytes (a deflate bomb): PdfPig opening page 1 drove the
/// process to 6 GB, and every viewer's pdf.js would inflate the same stream. Here each stream that
/// starts like zlib data is inflated into a scratch buffer and counted, never kept, layer after layer
/// (a stream deflated twice hides its bomb one layer down), against a budget of expanded bytes and a
/// deadline. Streams in other encodings (JPEG and the like) do not expand without bound and are skipped.
/// </summary>
internal static class PdfExpansionCheck
{
    /// <summary>Filters applied one on another; more is not a real deck.</summary>
    private const int MaxLayers = 4;

    public static void Check(byte[] pdf, long maxExpandedBytes, TimeSpan timeLimit)
    {
        var clock = Stopwatch.StartNew();
        var budget = maxExpandedBytes;
        var scratch = new byte[64 * 1024];
        var at = 0;
        while ((at = IndexOf(pdf, "stream"u8, at)) >= 0)
        {
            // "endstream" ends a stream; only "stream" followed by an end of line starts one.
            var isEnd = at >= 3 && pdf.AsSpan(at - 3, 3).SequenceEqual("end"u8);
            var dataStart = at + "stream".Length;
            at = dataStart;
            if (isEnd)
            {
                continue;
            }

            if (dataStart < pdf.Length && pdf[dataStart] == '\r')
            {
                dataStart++;
            }

            if (dataStart >= pdf.Length || pdf[dataStart] != '\n')
            {
                continue;
            }

            dataStart++;
            var end = IndexOf(pdf, "endstream"u8, dataStart);
            if (end < 0)
            {
                end = pdf.Length;
            }

            budget -= Expanded(pdf.AsMemory(dataStart, end - dataStart), budget, scratch, clock, timeLimit);
            at = end;
        }
    }

    /// <summary>The bytes one stream expands to, all layers counted; throws once over the budget or the time.</summary>
    private static long Expanded(ReadOnlyMemory<byte> data, long budget, byte[] scratch, Stopwatch clock, TimeSpan timeLimit)
    {
        if (!LooksLikeZlib(data.Span))
        {
            return 0;
        }

        Stream layer = new MemoryStream(data.ToArray(), writable: false);
        var layers = new List<Stream> { layer };
        long total = 0;
        try
        {
            for (var depth = 0; depth < MaxLayers; depth++)
            {
                layer = new ZLibStream(layer, CompressionMode.Decompress);
                layers.Add(layer);
                // Peek at what this layer gives: zlib again means another layer to count through.
                var head = new byte[2];
                var got = ReadUpTo(layer, head, 2);
                if (got == 2 && LooksLikeZlib(head) && depth + 1 < MaxLayers)
                {
                    layer = new PrefixedStream(head, layer);
                    layers.Add(layer);
                    continue;
                }

                total += got;
                while (true)
                {
                    int n;
                    try
                    {
                        n = layer.Read(scratch, 0, scratch.Length);
                    }
                    catch (InvalidDataException)
                    {
                        return total; // Damaged or not really zlib: pdf.js stops there too.
                    }

                    if (n == 0)
                    {
                        return total;
                    }

                    total += n;
                    if (total > budget)
                    {
                        throw TooBig(budget);
                    }

                    if (clock.Elapsed > timeLimit)
                    {
                        throw ExchangeProblem.BadRequest("deck_too_complex",
                            "This PDF takes too long to open. Export the slides as PDF again (or with smaller images) and try again.");
                    }
                }
            }

            return total;
        }
        catch (InvalidDataException)
        {
            return total;
        }
        finally
        {
            foreach (var s in layers)
            {
                s.Dispose();
            }
        }
    }

    private static ExchangeProblem TooBig(long budget) => ExchangeProblem.BadRequest("deck_too_complex",
        $"This PDF expands to more than {budget / (1024 * 1024)} MB when opened, more than phones can show. Export the slides as PDF again (or with smaller images) and try again.");

    /// <summary>A zlib header: deflate, a window of at most 32 KB, and the check bits right.</summary>
    private static bool LooksLikeZlib(ReadOnlySpan<byte> b) =>
        b.Length >= 2 && (b[0] & 0x0F) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0;

    private static int ReadUpTo(Stream s, byte[] buffer, int count)
    {
        var got = 0;
        while (got < count)
        {
            var n = s.Read(buffer, got, count - got);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        return got;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, int from)
    {
        if (from >= haystack.Length)
        {
            return -1;
        }

        var i = haystack.AsSpan(from).IndexOf(needle);
        return i < 0 ? -1 : from + i;
    }

    /// <summary>Bytes already read from a stream, put back in front of it.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _used;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_used < prefix.Length)
            {
                var n = Math.Min(count, prefix.Length - _used);
                Array.Copy(prefix, _used, buffer, offset, n);
                _used += n;
                return n;
            }

            return rest.Read(buffer, offset, count);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
