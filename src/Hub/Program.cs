using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.ApiDescription;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Certificates;
using LiveExchange.Hub.Decks;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Exports;
using LiveExchange.Hub.Feedback;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Operations;
using LiveExchange.Hub.Participants;
using LiveExchange.Hub.Polls;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Records;
using LiveExchange.Hub.Registration;
using LiveExchange.Hub.Consent;
using LiveExchange.Hub.Retention;
using LiveExchange.Hub.Rooms;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Slides;
using LiveExchange.Hub.Storage;
using LiveExchange.Hub.Video;
using LiveExchange.Shared;

// --demo is a flag of ours, not a setting: left in, the configuration reader would take the next
// argument as its value (`--demo --urls X` lost --urls).
var demoRequested = args.Contains("--demo");
var builder = WebApplication.CreateBuilder(args.Where(a => a != "--demo").ToArray());

builder.AddStorage();
builder.AddExchangeProblems();
builder.AddExchangeAccess();
builder.AddJoinRateLimit();
builder.AddDecks();
builder.AddFeedback();
builder.AddPublicLinks();
builder.AddRealtime();
builder.AddOperations();
builder.AddApiDocument();
builder.AddPolls();
builder.AddSlideNotes();
builder.AddCertificates();
builder.AddRooms();
builder.AddRetention();

var app = builder.Build();

await app.MigrateDatabaseAsync();
await app.EnsureOrganiserKeyAsync();
var demo = demoRequested ? await DemoSession.SeedAsync(app.Services) : null;

app.UseForwardedHeaders();
app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseWebApp();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapAgencies();
app.MapSessions();
app.MapJoin();
app.MapInvitations();
app.MapRegistration();
app.MapParticipants();
app.MapModeration();
app.MapDecks();
app.MapAttendance();
app.MapExports();
app.MapReception();
app.MapFeedback();
app.MapExchangeHub();
app.MapOperations();
app.MapApiDocument();
app.MapLimits();
app.MapPolls();
app.MapCertificates();
app.MapRecords();
app.MapConsent();

app.PrintLinksOnStart(demo);
app.Run();

public partial class Program;
