using System.Text.Json;

namespace LiveExchange.Tests.Operations;

/// <summary>
/// The hub's GC mode is part of its memory per viewer (decision 0014). The Web SDK writes server GC
/// into runtimeconfig.json unless the project says otherwise, and that file is what `dotnet run`,
/// the bench's hub processes and the Docker image (`dotnet publish`) all start with.
/// </summary>
public sealed class GcSettingsTests
{
    [Fact]
    public void The_hub_starts_with_workstation_gc_and_background_collections()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "LiveExchange.Hub.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
    }
}
