using System.Globalization;
using System.Text;

namespace LiveExchange.Hub.Problems;

/// <summary>Input checks shared by the features; each failure is a 400 with the field named.</summary>
public static class Check
{
    /// <summary>
    /// User text, made safe to store, show and export. It is normalised (NFC, line ends as \n, tabs and
    /// other spaces as a plain space, trimmed), and refused when it holds what is not text: NUL and
    /// other control characters, bidi overrides and isolates (which make a name read backwards on
    /// every screen), lone surrogates, or nothing visible at all (only zero-width characters).
    /// Newlines are kept where <paramref name="multiline"/> says so (questions, descriptions) and
    /// become spaces elsewhere (names, titles).
    /// </summary>
    public static string Text(string? value, string field, int maxLength, int minLength = 1, string code = "validation", bool multiline = false)
    {
        var text = Normalise(value, field, multiline);
        if (text.Length < minLength || (minLength > 0 && !HasVisible(text)))
        {
            throw ExchangeProblem.BadRequest(code, text.Length > 0 ? $"{field} has no visible text." : $"{field} is required.");
        }

        if (text.Length > maxLength)
        {
            throw ExchangeProblem.BadRequest(code, $"{field} must be at most {maxLength} characters.");
        }

        return text;
    }

    /// <summary>The normalised form of <paramref name="value"/>; throws when it holds what is not text.</summary>
    public static string Normalise(string? value, string field, bool multiline)
    {
        var s = value ?? "";
        if (!IsWellFormed(s))
        {
            throw NotText(field);
        }

        s = s.Normalize(NormalizationForm.FormC).Replace("\r\n", "\n").Replace('\r', '\n');
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c == '\n')
            {
                sb.Append(multiline ? '\n' : ' ');
            }
            else if (c == '\t' || (char.IsWhiteSpace(c) && c != '\n'))
            {
                sb.Append(' ');
            }
            else if (IsForbidden(c))
            {
                throw NotText(field);
            }
            else
            {
                sb.Append(c);
            }
        }

        var text = sb.ToString().Trim();
        if (multiline)
        {
            // Trailing spaces on lines, and more than one empty line in a row, are noise on a big screen.
            var lines = text.Split('\n').Select(l => l.TrimEnd()).ToList();
            var kept = new List<string>(lines.Count);
            foreach (var line in lines)
            {
                if (line.Length == 0 && kept.Count > 0 && kept[^1].Length == 0)
                {
                    continue;
                }

                kept.Add(line);
            }

            text = string.Join('\n', kept);
        }

        return text;
    }

    /// <summary>Control characters (other than tab and line ends) and bidi embeddings, overrides and isolates.</summary>
    internal static bool IsForbidden(char c) =>
        char.IsControl(c) // C0, DEL and C1, NUL among them
        || c is >= '\u202A' and <= '\u202E' // LRE, RLE, PDF, LRO, RLO
        || c is >= '\u2066' and <= '\u2069' // LRI, RLI, FSI, PDI
        || c is '\uFFFE' or '\uFFFF' or '\uFFF9' or '\uFFFA' or '\uFFFB'; // non-characters, interlinear annotation

    /// <summary>True when something would be seen: not only whitespace and zero-width (format) characters.</summary>
    internal static bool HasVisible(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(text, i);
            if (!char.IsWhiteSpace(text[i]) && category is not (UnicodeCategory.Format or UnicodeCategory.Control
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static ExchangeProblem NotText(string field) => ExchangeProblem.BadRequest("not_text",
        $"{field} contains characters that are not text (control characters or direction overrides); type it again.");

    public static int Range(int value, string field, int min, int max)
    {
        if (value < min || value > max)
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} must be between {min} and {max}.");
        }

        return value;
    }
}
