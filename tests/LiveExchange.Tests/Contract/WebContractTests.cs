using System.Text.RegularExpressions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Contract;

/// <summary>The browser names the hub's events and methods in one file; it must match src/Shared.</summary>
public sealed partial class WebContractTests
{
    private static readonly string ContractTs = File.ReadAllText(Path.Combine(TestServers.RepoRoot, "src/Web/src/contract.ts"));

    [Fact]
    public void Client_events_in_contract_ts_are_the_methods_of_IExchangeClient() =>
        Assert.Equal(
            typeof(IExchangeClient).GetMethods().Select(m => m.Name).Order(),
            Values("ClientEvents").Order());

    [Fact]
    public void Hub_methods_in_contract_ts_are_the_methods_of_IExchangeHub() =>
        Assert.Equal(
            typeof(IExchangeHub).GetMethods().Select(m => m.Name).Order(),
            Values("HubMethods").Order());

    [Fact]
    public void Hub_path_matches() =>
        Assert.Contains($"export const HubPath = \"{ExchangeHubRoute.Path}\";", ContractTs);

    private static IEnumerable<string> Values(string name)
    {
        var line = ContractTs.Split('\n').Single(l => l.StartsWith($"export const {name} = {{", StringComparison.Ordinal));
        return QuotedValue().Matches(line).Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex(@":\s*""(\w+)""")]
    private static partial Regex QuotedValue();
}
