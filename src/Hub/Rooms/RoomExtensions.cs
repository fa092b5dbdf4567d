namespace LiveExchange.Hub.Rooms;

public static class RoomExtensions
{
    public static WebApplicationBuilder AddRooms(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RoomRoster>();
        return builder;
    }
}
