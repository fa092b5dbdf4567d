using LiveExchange.Hub.Exports;

namespace LiveExchange.Hub.Retention;

/// <summary>
/// What the retention sweep removes when a session's period is over, one statement per kind of personal
/// data, all run in ONE transaction per session (<see cref="RetentionSweep"/>). Names become empty text
/// (the columns are not null) and optional details null; rows, counts, minutes and headcounts stay, so
/// every figure in the exports is the same before and after. A feature that stores personal data adds its
/// statement here (one line; <c>@sessionId</c> is the session, <c>@now</c> the sweep's time).
/// </summary>
public static class PersonalData
{
    public static readonly string[] Removals =
    [
        // Viewers' screen names. Host and moderator rows are named after the host agency: an organisation,
        // not a person.
        "update participants set display_name = '' where session_id = @sessionId and role = 'viewer'",
        // The address every link joined from, the host's and moderator's included: it points at a person's device.
        "update participants set joined_from = null where session_id = @sessionId",
        // The people in front of each screen: rows (and their minutes) stay, names and job titles go.
        "update room_members set name = '', job_title = null where session_id = @sessionId",
        // Written feedback answers; ratings and choices (and their counts) stay.
        """
        update feedback_answers set text = '' where text is not null
          and response_id in (select id from feedback_responses where session_id = @sessionId)
        """,
        // The contact person an agency registered (issue 8).
        "update session_registrations set contact_name = '', contact_phone = null where session_id = @sessionId",
        // Certificate holders' names (issue 10, point 6): the code still verifies, without the name.
        Certificates.CertificateEndpoints.BlankHolderNames,
        // The organiser's reason for revoking one is free text that may name the person ("王芳 left early").
        "update certificates set revoke_reason = null where session_id = @sessionId and revoke_reason is not null",
    ];

    /// <summary>How exports show a removed name: "（已删除）" / "(removed)".</summary>
    public static readonly Words Removed = new("（已删除）", "(removed)");

    /// <summary>A name as exports show it: the removed marker once retention has emptied it.</summary>
    public static Cell Shown(string? value, ExportLanguage lang) =>
        value is { Length: 0 } ? Cell.Of(Removed.In(lang)) : value is null ? Cell.Blank : Cell.Of(value);

    /// <summary>The same, for builders that carry the language as "zh"/"en".</summary>
    public static Cell Shown(string? value, string lang) => Shown(value, lang == "en" ? ExportLanguage.En : ExportLanguage.Zh);
}
