using System.Security.Cryptography;

namespace LiveExchange.Hub.Sessions;

/// <summary>
/// Six characters read aloud over a phone or typed on one: no 0/O, 1/I/L, which people confuse.
/// 31^6 ≈ 887 million codes, so a clash is rare and a retry settles it.
/// </summary>
public static class JoinCode
{
    public const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    public const int Length = 6;

    public static string New() =>
        string.Create(Length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });

    /// <summary>What a person typed, made comparable: spaces and dashes dropped, upper case.</summary>
    public static string? Normalise(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var code = new string(typed.Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray()).ToUpperInvariant();
        return code.Length == Length && code.All(Alphabet.Contains) ? code : null;
    }
}
