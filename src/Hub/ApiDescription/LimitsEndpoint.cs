using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Decks;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.ApiDescription;

/// <summary>
/// The limits the server enforces, as the pages show them (maxlength, counters, hints). Pages read
/// them from here rather than keeping copies that drift when a limit or a setting changes.
/// </summary>
public sealed record Limits(
    int AgencyNameMax,
    int AgencyPlaceMax,
    int SessionTitleMax,
    int SessionDescriptionMax,
    int InvitedAgenciesMax,
    int AgendaPartsMax,
    int AgendaTitleMax,
    int DisplayNameMax,
    int HeadcountMax,
    int QuestionMax,
    int QuestionsPerScreen,
    long DeckMaxBytes,
    // --- Office decks ---
    bool OfficeDecks = false,
    // --- Room rosters and consent ---
    int RoomMembersMax = 0,
    int RoomNameMax = 0,
    int RoomJobTitleMax = 0,
    int ConsentTextMax = 0);

public static class LimitsEndpoint
{
    public static IEndpointRouteBuilder MapLimits(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/limits", Get).AllowAnonymous();
        return app;
    }

    private static Ok<Limits> Get(IOptions<DeckOptions> decks, DeckConverter converter) => TypedResults.Ok(new Limits(
        AgencyEndpoints.NameMax,
        AgencyEndpoints.PlaceMax,
        SessionEndpoints.TitleMax,
        SessionEndpoints.DescriptionMax,
        SessionEndpoints.InvitedMax,
        SessionEndpoints.AgendaMax,
        SessionEndpoints.SegmentTitleMax,
        JoinEndpoints.DisplayNameMax,
        JoinEndpoints.HeadcountMax,
        QuestionBoard.TextMax,
        QuestionBoard.PerParticipant,
        decks.Value.MaxBytes,
        converter.Available,
        RoomMembersMax: Rooms.RoomRoster.MembersMax,
        RoomNameMax: Rooms.RoomRoster.NameMax,
        RoomJobTitleMax: Rooms.RoomRoster.JobTitleMax,
        ConsentTextMax: Consent.ConsentNotices.TextMax));
}
