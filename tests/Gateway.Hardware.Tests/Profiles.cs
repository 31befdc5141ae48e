using Gateway.Hardware.Profiles;
using Gateway.Testing;

namespace Gateway.Hardware.Tests;

/// <summary>The example profiles shipped in hardware/profiles, loaded as the gateway loads them.</summary>
internal static class Profiles
{
    public static string PathOf(string name) => Path.Combine(Repository.Root, "hardware", "profiles", name + ".json");

    public static DeviceProfile Load(string name) => ProfileLoader.Load(PathOf(name));
}
