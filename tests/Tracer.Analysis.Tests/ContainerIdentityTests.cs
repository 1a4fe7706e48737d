using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Tests;

public sealed class ContainerIdentityTests
{
    private const string Id = "5f1c1e8b9d0a4c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99";

    [Theory]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b9a5b3e_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" + Id + ".scope", Id, "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")]
    [InlineData("/kubepods.slice/kubepods-pod0b9a5b3e_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice/crio-" + Id + ".scope", Id, "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")]
    [InlineData("/kubepods/besteffort/pod0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/" + Id, Id, "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")]
    [InlineData("/system.slice/docker-" + Id + ".scope", Id, null)]
    [InlineData("/docker/" + Id, Id, null)]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b9a5b3e_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice", null, "0b9a5b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")]
    public void RuntimesNamesGiveTheContainerAndThePod(string path, string? container, string? pod)
    {
        Assert.Equal(new ContainerIdentity(container, pod), ContainerIdentity.FromCgroupPath(path));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/user.slice/user-0.slice/session-3.scope")]
    [InlineData("/system.slice/nginx.service")]
    [InlineData("/system.slice/pod0b9a5b3e_1c2d_4e5f_8a9b_0c1d2e3f4a5b.slice")]
    public void AHostProcessHasNoContainerAndNoPod(string path)
    {
        Assert.False(ContainerIdentity.FromCgroupPath(path).IsKnown);
    }
}
