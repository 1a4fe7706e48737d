namespace Tracer.Telemetry.Tests;

public sealed class ServiceInstanceTests
{
    private const string MachineId = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void TheIdIsAVersion5UuidOfTheMachineIdNeverTheMachineIdItself()
    {
        var id = ServiceInstance.FromMachineId(MachineId + "\n")!;
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
        Assert.Equal(id, ServiceInstance.FromMachineId(MachineId));
        Assert.DoesNotContain(MachineId[..8], id.Replace("-", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.NotEqual(id, ServiceInstance.FromMachineId("fedcba9876543210fedcba9876543210"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("uninitialized")]
    [InlineData("0123456789abcdef")]
    public void WithoutAMachineIdThereIsNone(string? machineId) => Assert.Null(ServiceInstance.FromMachineId(machineId));

    [Fact]
    public void ThisHostsIdComesFromItsMachineId()
    {
        if (File.Exists(ServiceInstance.MachineIdPath))
        {
            Assert.Equal(ServiceInstance.FromMachineId(File.ReadAllText(ServiceInstance.MachineIdPath)), ServiceInstance.Id);
        }
    }
}
