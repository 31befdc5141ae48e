using System.Device.I2c;

namespace Gateway.Hardware.Tests.Display;

/// <summary>
/// The I²C boundary in tests: an <see cref="I2cDevice"/> that records every write, in order, as the bus would carry it.
/// <see cref="Present"/> false plays a display that is not there (the kernel's NACK: IOException, as the Linux driver
/// throws it). Reads return zeros (a PCF8574 with nothing driving its lines low; an SSD1306 is write-only).
/// </summary>
internal sealed class FakeI2cDevice(int bus, int address) : I2cDevice
{
    private readonly Lock _lock = new();
    private readonly List<byte[]> _writes = [];

    public bool Present { get; set; } = true;

    /// <summary>The display goes away (Present becomes false) after this many more writes: a cable pulled mid-transfer.</summary>
    public int? FailAfterWrites { get; set; }

    public int FailedWrites { get; private set; }

    public override I2cConnectionSettings ConnectionSettings { get; } = new(bus, address);

    /// <summary>Every write transfer, in order.</summary>
    public IReadOnlyList<byte[]> Writes
    {
        get
        {
            lock (_lock)
                return [.. _writes];
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock)
        {
            if (FailAfterWrites is { } left)
            {
                if (left <= 0)
                    Present = false;
                else
                    FailAfterWrites = left - 1;
            }
            if (!Present)
            {
                FailedWrites++;
                throw new IOException($"Error 121 performing I2C data transfer (no ACK from 0x{ConnectionSettings.DeviceAddress:X2})");
            }
            _writes.Add(buffer.ToArray());
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Read(Span<byte> buffer)
    {
        if (!Present)
            throw new IOException("Error 121 performing I2C data transfer");
        buffer.Clear();
    }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }
}
