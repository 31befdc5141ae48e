using System.Buffers;

namespace Gateway.Dicom.Network;

/// <summary>A complete DIMSE message: its command and the context it came on (the data set, if any, went to a sink).</summary>
public sealed record DimseMessage(byte ContextId, DimseCommand Command);

/// <summary>
/// Reassembles DIMSE messages from the PDVs of P-DATA-TF PDUs (PS3.7 §9.3, PS3.8 Annex E): the command fragments
/// into a bounded buffer, the data set fragments straight into a sink the caller opens (a file for C-STORE), so a
/// large object is never held in memory. Fragments out of order are protocol errors.
/// </summary>
internal sealed class DimseReceiver(Func<DimseMessage, Stream> openDataSink)
{
    /// <summary>Command sets are a few hundred bytes; this bounds a hostile one.</summary>
    public const int MaxCommandLength = 64 * 1024;

    private readonly System.Buffers.ArrayBufferWriter<byte> _command = new(256);
    private byte _contextId;
    private DimseMessage? _awaitingData;
    private Stream? _sink;

    /// <summary>
    /// Feeds the PDVs of one P-DATA-TF; <paramref name="complete"/> is called for each message the moment it is whole,
    /// before the next PDV is looked at (two messages in one PDU each get their own sink).
    /// </summary>
    public void Accept(ReadOnlyMemory<byte> body, List<Pdv> pdvs, Func<byte, bool> isAcceptedContext, Action<DimseMessage> complete)
    {
        foreach (var pdv in pdvs)
        {
            if (!isAcceptedContext(pdv.ContextId))
                throw new DicomProtocolException($"PDV on presentation context {pdv.ContextId}, which was not accepted", AbortReason.InvalidPduParameterValue);
            var data = body.Slice(pdv.Offset, pdv.Length);
            if (pdv.IsCommand)
            {
                if (_awaitingData is not null)
                    throw new DicomProtocolException("a command fragment arrived while the data set of the previous command was expected", AbortReason.UnexpectedPduParameter);
                if (_command.WrittenCount > 0 && pdv.ContextId != _contextId)
                    throw new DicomProtocolException($"command fragments on contexts {_contextId} and {pdv.ContextId}", AbortReason.InvalidPduParameterValue);
                if (_command.WrittenCount + data.Length > MaxCommandLength)
                    throw new DicomProtocolException($"command set longer than {MaxCommandLength} bytes", AbortReason.InvalidPduParameterValue);
                _contextId = pdv.ContextId;
                _command.Write(data.Span);
                if (!pdv.IsLast)
                    continue;
                var command = DimseCommand.Decode(_command.WrittenSpan);
                _command.ResetWrittenCount();
                var message = new DimseMessage(_contextId, command);
                if (command.HasDataSet)
                {
                    _awaitingData = message;
                    _sink = openDataSink(message);
                }
                else
                {
                    complete(message);
                }
            }
            else
            {
                if (_awaitingData is null || _sink is null)
                    throw new DicomProtocolException("a data set fragment arrived without a command that announced one", AbortReason.UnexpectedPduParameter);
                if (pdv.ContextId != _awaitingData.ContextId)
                    throw new DicomProtocolException($"data set fragment on context {pdv.ContextId}, its command came on {_awaitingData.ContextId}", AbortReason.InvalidPduParameterValue);
                _sink.Write(data.Span);
                if (pdv.IsLast)
                {
                    var whole = _awaitingData;
                    _awaitingData = null;
                    _sink = null;
                    complete(whole);
                }
            }
        }
    }

    /// <summary>The sink of a message whose data set is still arriving (to clean up after an abort).</summary>
    public Stream? PendingSink => _sink;
}
