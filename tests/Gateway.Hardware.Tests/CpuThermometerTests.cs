using Gateway.Hardware.Sensors;
using Gateway.Testing;
using Iot.Device.CpuTemperature;
using Xunit;

namespace Gateway.Hardware.Tests;

/// <summary>Our thermal-zone reader against Iot.Device.CpuTemperature, which reads the same file (issue #15).</summary>
public sealed class CpuThermometerTests
{
    [Fact]
    public void Ours_and_the_binding_give_the_same_answer_on_this_machine_including_not_available()
    {
        using var binding = new CpuTemperature();
        // The binding's Temperature throws (UnitsNet refuses NaN) when the zone is missing: IsAvailable is its "not available".
        var theirs = binding.IsAvailable ? binding.Temperature.DegreesCelsius : (double?)null;
        var ours = CpuThermometer.ReadCelsius();
        Assert.Equal(File.Exists(CpuThermometer.Zone0), ours.HasValue);
        Assert.Equal(theirs.HasValue, ours.HasValue);
        if (ours is { } o && theirs is { } t)
            Assert.InRange(Math.Abs(o - t), 0, 1.0); // read a moment apart; the binding's float division is off by < 0.0001
    }

    [Fact]
    public void Millidegrees_are_read_exactly_and_anything_else_is_not_available()
    {
        using var dir = new TempDirectory();
        string Zone(string text)
        {
            var path = Path.Combine(dir.Path, Guid.NewGuid().ToString("N"));
            File.WriteAllText(path, text);
            return path;
        }
        Assert.Equal(48.312, CpuThermometer.ReadCelsius(Zone("48312\n")));
        Assert.Equal(-1.5, CpuThermometer.ReadCelsius(Zone("-1500\n")));
        Assert.Null(CpuThermometer.ReadCelsius(Zone("")));
        Assert.Null(CpuThermometer.ReadCelsius(Zone("not a number\n")));
        Assert.Null(CpuThermometer.ReadCelsius(Path.Combine(dir.Path, "missing")));
        Assert.Null(CpuThermometer.ReadCelsius(dir.Path));
    }

    [Fact]
    public void Why_we_keep_ours_the_bindings_arithmetic_and_its_refusal_of_nan()
    {
        // What Iot.Device.CpuTemperature does with the same file content (temp / 1000F, then UnitsNet).
        Assert.NotEqual(48.312, (double)(48312 / 1000F));
        Assert.Throws<ArgumentException>(() => UnitsNet.Temperature.FromDegreesCelsius(double.NaN));
    }
}
