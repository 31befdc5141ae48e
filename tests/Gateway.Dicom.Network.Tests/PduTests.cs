using System.Text;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>PDU encoding against annotated golden bytes (PS3.8 §9.3), parsing back, and reading split at every byte.</summary>
public sealed class PduTests
{
    private static AssociateRequest SampleRequest() => new("STORESCP", "GATEWAY",
        [new PresentationContextProposal(1, DicomUids.Verification, [DicomUids.ImplicitVRLittleEndian])],
        new UserInformation { MaxPduLength = 16384, ImplementationClassUid = "1.2.3", ImplementationVersionName = "V1" });

    [Fact]
    public void A_ASSOCIATE_RQ_has_the_layout_of_PS3_8_table_9_11()
    {
        var pdu = PduEncoder.AssociateRequest(SampleRequest());
        Assert.Equal(0x01, pdu[0]);                                   // PDU type
        Assert.Equal(0x00, pdu[1]);                                   // reserved
        Assert.Equal(pdu.Length - 6, (pdu[2] << 24) | (pdu[3] << 16) | (pdu[4] << 8) | pdu[5]); // length, big endian
        Assert.Equal([0x00, 0x01], pdu[6..8]);                         // protocol version 1
        Assert.Equal("STORESCP        ", Encoding.ASCII.GetString(pdu, 10, 16)); // called AE, space padded
        Assert.Equal("GATEWAY         ", Encoding.ASCII.GetString(pdu, 26, 16)); // calling AE
        Assert.All(pdu[42..74], b => Assert.Equal(0, b));              // 32 reserved bytes
        Assert.Equal(0x10, pdu[74]);                                  // application context item
        Assert.Equal(21, (pdu[76] << 8) | pdu[77]);
        Assert.Equal("1.2.840.10008.3.1.1.1", Encoding.ASCII.GetString(pdu, 78, 21));
        Assert.Equal(0x20, pdu[99]);                                  // presentation context item
        Assert.Equal(1, pdu[103]);                                    // its ID
        Assert.Equal(0x30, pdu[107]);                                 // abstract syntax sub-item
        var userInfo = Array.IndexOf(pdu, (byte)0x50, 99);
        Assert.Equal(0x51, pdu[userInfo + 4]);                        // maximum length sub-item first
        Assert.Equal([0x00, 0x00, 0x40, 0x00], pdu[(userInfo + 8)..(userInfo + 12)]); // 16384
    }

    [Fact]
    public void Association_PDUs_parse_back_to_what_was_encoded()
    {
        var rq = SampleRequest() with
        {
            User = SampleRequest().User with
            {
                AsyncOperations = (4, 1),
                Roles = [new RoleSelection(DicomUids.CTImageStorage, true, false)],
                Identity = UserIdentity.UsernamePassword("tech", "s3cret"),
            },
        };
        var back = PduParser.ParseAssociateRequest(PduEncoder.AssociateRequest(rq).AsSpan(6));
        Assert.Equal("STORESCP", back.CalledAE);
        Assert.Equal("GATEWAY", back.CallingAE);
        Assert.Equal(DicomUids.Verification, back.Contexts[0].AbstractSyntax);
        Assert.Equal((ushort)4, back.User.AsyncOperations!.Value.Invoked);
        Assert.Equal(DicomUids.CTImageStorage, back.User.Roles[0].SopClassUid);
        Assert.Equal("tech", Encoding.UTF8.GetString(back.User.Identity!.Primary));
        Assert.Equal("s3cret", Encoding.UTF8.GetString(back.User.Identity.Secondary));
        Assert.DoesNotContain("s3cret", back.User.Identity.ToString());

        var ac = new AssociateAccept("STORESCP", "GATEWAY", [new PresentationContextAnswer(1, PresentationContextResult.Acceptance, DicomUids.ImplicitVRLittleEndian)],
            new UserInformation { MaxPduLength = 0, IdentityResponse = [1, 2] });
        var acBack = PduParser.ParseAssociateAccept(PduEncoder.AssociateAccept(ac).AsSpan(6));
        Assert.Equal(PresentationContextResult.Acceptance, acBack.Contexts[0].Result);
        Assert.Equal((byte[])[1, 2], acBack.User.IdentityResponse);

        var rj = PduParser.ParseAssociateReject(PduEncoder.AssociateReject(new AssociateReject(RejectResult.Permanent, RejectSource.ServiceUser, 7)).AsSpan(6));
        Assert.Equal("rejected (permanent): called AE title not recognized", rj.Describe());
        var abort = PduParser.ParseAbort(PduEncoder.Abort(AbortSource.ServiceProvider, AbortReason.InvalidPduParameterValue).AsSpan(6));
        Assert.Equal(AbortReason.InvalidPduParameterValue, abort.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 9, 1, 3, 0xAA }, "declares length 9")]     // PDV longer than the PDU
    [InlineData(new byte[] { 0, 0, 0, 3, 2, 3, 0xAA }, "even")]                  // even context ID
    [InlineData(new byte[] { 0, 0, 0, 3, 1, 0x07, 0xAA }, "control header")]     // reserved control bits set
    [InlineData(new byte[] { 0, 0, 0, 1, 1, 3 }, "declares length 1")]           // length below the header
    [InlineData(new byte[] { 0, 0, 0 }, "cut short")]
    public void Lying_PDVs_are_protocol_errors(byte[] body, string problem)
    {
        var e = Assert.Throws<DicomProtocolException>(() => PduParser.ParsePData(body));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Association_items_that_lie_about_their_length_are_refused()
    {
        var pdu = PduEncoder.AssociateRequest(SampleRequest());
        var body = pdu[6..];
        body[70] = 0xFF; // the application context item's length high byte
        var e = Assert.Throws<DicomProtocolException>(() => PduParser.ParseAssociateRequest(body));
        Assert.Contains("declares length", e.Message);
        Assert.Throws<DicomProtocolException>(() => PduParser.ParseAssociateRequest(body[..40]));
    }

    /// <summary>A stream that hands out at most the given number of bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int firstChunk) : Stream
    {
        private int _at;
        private bool _first = true;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, data.Length - _at), _first ? firstChunk : 7);
            _first = false;
            Array.Copy(data, _at, buffer, offset, n);
            _at += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void A_PDU_split_at_every_byte_boundary_reads_the_same()
    {
        var pdu = PduEncoder.AssociateRequest(SampleRequest());
        for (var split = 1; split <= pdu.Length; split++)
        {
            using var connection = new DicomConnection(new TrickleStream(pdu, split), "test");
            var read = connection.Read();
            Assert.Equal(PduType.AssociateRequest, read.Type);
            Assert.Equal("STORESCP", PduParser.ParseAssociateRequest(read.Body.Span).CalledAE);
        }
    }

    [Fact]
    public void A_PDU_longer_than_the_limit_is_refused_before_its_body_is_read()
    {
        var header = new byte[6];
        PduEncoder.Header(header, PduType.PData, 0xFFFFFFFF);
        using var connection = new DicomConnection(new MemoryStream(header), "test") { MaxReceivePdu = 16384 };
        var e = Assert.Throws<PduFramingException>(() => connection.Read());
        Assert.Contains("declares length 4294967295", e.Message);
        Assert.Equal(AbortReason.InvalidPduParameterValue, e.Reason);
    }

    [Fact]
    public void An_unknown_PDU_type_is_an_unrecognized_PDU()
    {
        using var connection = new DicomConnection(new MemoryStream(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n")), "test");
        var e = Assert.Throws<PduFramingException>(() => connection.Read());
        Assert.Equal(AbortReason.UnrecognizedPdu, e.Reason);
        Assert.Contains("unknown PDU type 0x47", e.Message);
    }

    [Fact]
    public void DIMSE_command_sets_start_with_their_group_length()
    {
        var bytes = DimseCommand.EchoRequest(7).Encode();
        Assert.Equal([0, 0, 0, 0, 4, 0, 0, 0], bytes[..8]); // (0000,0000) UL, implicit VR, length 4
        Assert.Equal(bytes.Length - 12, BitConverter.ToInt32(bytes, 8));
        var back = DimseCommand.Decode(bytes);
        Assert.Equal(CommandField.CEchoRequest, back.Field);
        Assert.Equal(7, back.MessageId);
        Assert.False(back.HasDataSet);
    }

    [Theory]
    [InlineData(0x0000, DicomStatusCategory.Success, false)]
    [InlineData(0xB000, DicomStatusCategory.Warning, false)]
    [InlineData(0xB007, DicomStatusCategory.Warning, false)]
    [InlineData(0xA700, DicomStatusCategory.Failure, true)]
    [InlineData(0xA7FF, DicomStatusCategory.Failure, true)]
    [InlineData(0xA900, DicomStatusCategory.Failure, false)]
    [InlineData(0xC123, DicomStatusCategory.Failure, false)]
    [InlineData(0x0122, DicomStatusCategory.Failure, false)]
    public void Statuses_are_classified_for_the_forwarder(int code, DicomStatusCategory category, bool transient)
    {
        var s = new DicomStatus((ushort)code);
        Assert.Equal(category, s.Category);
        Assert.Equal(transient, s.IsTransientFailure);
    }
}
