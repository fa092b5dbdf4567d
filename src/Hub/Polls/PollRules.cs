using System.Text;
using LiveExchange.Hub.Problems;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Polls;

/// <summary>The limits a poll and an answer must keep, and the checks that enforce them.</summary>
public static class PollRules
{
    public const int QuestionMax = 200;
    public const int OptionsMin = 2;
    public const int OptionsMax = 10;
    public const int OptionMax = 80;

    /// <summary>Polls a session may hold (drafts included): every snapshot carries the launched ones.</summary>
    public const int PerSession = 50;

    public const int RatingMin = 1;
    public const int RatingMax = 5;

    /// <summary>Words one answer may give, and the length of each (a word or a short phrase: "社区", "team work").</summary>
    public const int WordsMax = 3;
    public const int WordMax = 20;

    /// <summary>Words a result carries: the cloud shows the most frequent; the rest would only grow every message.</summary>
    public const int CloudWords = 50;

    public const int ClientKeyMax = 64;

    public static readonly string[] Kinds = [PollKinds.Single, PollKinds.Multiple, PollKinds.Rating, PollKinds.Words];

    public static bool HasOptions(string kind) => kind is PollKinds.Single or PollKinds.Multiple;

    /// <summary>Checks a draft; returns it normalised (options only for choice polls).</summary>
    public static PollDraftInput Draft(PollDraftInput? input)
    {
        if (input is null)
        {
            throw ExchangeProblem.BadRequest("validation", "Send the poll.");
        }

        if (!Kinds.Contains(input.Kind))
        {
            throw ExchangeProblem.BadRequest("poll_kind_invalid", "A poll is single choice, multiple choice, rating or words.");
        }

        var question = Check.Text(input.Question, "question", QuestionMax, code: "poll_question_invalid");
        var options = Array.Empty<string>();
        if (HasOptions(input.Kind))
        {
            var given = input.Options ?? [];
            if (given.Count is < OptionsMin or > OptionsMax)
            {
                throw ExchangeProblem.BadRequest("poll_options_count", $"A choice poll has {OptionsMin} to {OptionsMax} options.");
            }

            options = given.Select(o => Check.Text(o, "option", OptionMax, code: "poll_option_invalid")).ToArray();
            if (options.Distinct(StringComparer.OrdinalIgnoreCase).Count() != options.Length)
            {
                throw ExchangeProblem.BadRequest("poll_options_duplicate", "Two options say the same.");
            }
        }

        if (input.Results is not (PollResultModes.Live or PollResultModes.Hidden))
        {
            throw ExchangeProblem.BadRequest("validation", "results must be 'live' or 'hidden'.");
        }

        if (input.Counting is not (PollCountings.Screens or PollCountings.People))
        {
            throw ExchangeProblem.BadRequest("validation", "counting must be 'screens' or 'people'.");
        }

        return input with { Question = question, Options = options };
    }

    public static void ClientKey(string? clientKey)
    {
        if (clientKey is not null && (clientKey.Length is 0 or > ClientKeyMax || !clientKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ExchangeProblem.BadRequest("validation", $"clientKey must be 1 to {ClientKeyMax} letters, digits, '-' or '_'.");
        }
    }

    /// <summary>
    /// Checks an answer against its poll and returns what it counts for: option positions, the rating,
    /// or the words normalised (NFC, spaces collapsed, lower case, so "Team" and "team " are one word).
    /// </summary>
    public static MyAnswerParts Answer(string kind, int optionCount, PollAnswerInput? answer)
    {
        var invalid = ExchangeProblem.BadRequest("poll_answer_invalid", "That answer does not fit this poll.");
        if (answer is null)
        {
            throw invalid;
        }

        switch (kind)
        {
            case PollKinds.Single or PollKinds.Multiple:
            {
                var chosen = (answer.Options ?? []).ToArray();
                if (chosen.Length == 0)
                {
                    throw ExchangeProblem.BadRequest("poll_answer_empty", "Choose an option first.");
                }

                if ((kind == PollKinds.Single && chosen.Length != 1) || chosen.Any(o => o < 0 || o >= optionCount) || chosen.Distinct().Count() != chosen.Length)
                {
                    throw invalid;
                }

                return new MyAnswerParts(chosen.Order().ToArray(), null, []);
            }

            case PollKinds.Rating:
                if (answer.Rating is not { } rating || rating is < RatingMin or > RatingMax)
                {
                    throw invalid;
                }

                return new MyAnswerParts([], rating, []);
            default:
            {
                var words = (answer.Words ?? [])
                    .Select(w => Word(w))
                    .Where(w => w.Length > 0)
                    .Distinct(StringComparer.Ordinal)
                    .ToArray();
                if (words.Length == 0)
                {
                    throw ExchangeProblem.BadRequest("poll_answer_empty", "Type a word first.");
                }

                if (words.Length > WordsMax)
                {
                    throw ExchangeProblem.BadRequest("poll_too_many_words", $"At most {WordsMax} words.");
                }

                if (words.Any(w => w.Length > WordMax))
                {
                    throw ExchangeProblem.BadRequest("poll_word_too_long", $"A word can be at most {WordMax} characters.");
                }

                return new MyAnswerParts([], null, words);
            }
        }
    }

    private static string Word(string? raw)
    {
        var text = Check.Normalise(raw, "word", multiline: false);
        if (!Check.HasVisible(text))
        {
            return "";
        }

        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == ' ' && sb.Length > 0 && sb[^1] == ' ')
            {
                continue;
            }

            sb.Append(c);
        }

        // Latin case folded; Chinese has no case and is left as typed.
        return sb.ToString().ToLowerInvariant();
    }

    /// <summary>What the answer counts for, as stored in poll_votes.</summary>
    public static IEnumerable<string> Items(MyAnswerParts parts) =>
        parts.Options.Select(o => o.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Concat(parts.Rating is { } r ? [r.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [])
            .Concat(parts.Words);
}

public sealed record MyAnswerParts(IReadOnlyList<int> Options, int? Rating, IReadOnlyList<string> Words);

/// <summary>A poll as the host prepares it (HTTP). Options only for single and multiple choice.</summary>
public sealed record PollDraftInput(string Kind, string Question, IReadOnlyList<string>? Options, string Results, string Counting);

/// <summary>The limits the poll form shows, from the server.</summary>
public sealed record PollLimits(int QuestionMax, int OptionsMin, int OptionsMax, int OptionMax, int PerSession, int WordsMax, int WordMax);

/// <summary>GET /api/sessions/{id}/polls: every poll of the session (drafts too), for its host.</summary>
public sealed record PollList(PollLimits Limits, IReadOnlyList<PollView> Polls);
