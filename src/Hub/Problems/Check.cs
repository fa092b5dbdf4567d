namespace LiveExchange.Hub.Problems;

/// <summary>Input checks shared by the features; each failure is a 400 with the field named.</summary>
public static class Check
{
    public static string Text(string? value, string field, int maxLength, int minLength = 1, string code = "validation")
    {
        var trimmed = (value ?? "").Trim();
        if (trimmed.Length < minLength)
        {
            throw ExchangeProblem.BadRequest(code, $"{field} is required.");
        }

        if (trimmed.Length > maxLength)
        {
            throw ExchangeProblem.BadRequest(code, $"{field} must be at most {maxLength} characters.");
        }

        return trimmed;
    }

    public static int Range(int value, string field, int min, int max)
    {
        if (value < min || value > max)
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} must be between {min} and {max}.");
        }

        return value;
    }
}
