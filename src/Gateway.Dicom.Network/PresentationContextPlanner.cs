namespace Gateway.Dicom.Network;

/// <summary>
/// Proposes presentation contexts for a set of (SOP class, stored transfer syntax) pairs: per SOP class, one context
/// with the uncompressed syntaxes we can convert between (the stored one first, then Explicit and Implicit VR LE),
/// and one context per compressed syntax, so that the peer can accept each on its own (PS3.8 §9.3.2.2: it picks one
/// syntax per context). Verification is always proposed.
/// </summary>
public static class PresentationContextPlanner
{
    public const int MaxContexts = 128;

    public static List<PresentationContextProposal> Plan(IEnumerable<(string SopClass, string TransferSyntax)> objects) =>
        Plan(objects, null);

    /// <summary>
    /// As <see cref="Plan(IEnumerable{ValueTuple{string, string}})"/>, also proposing, per SOP class, the syntaxes the
    /// caller can transcode to (<paramref name="transcodeTo"/>, in its order after the stored ones): an uncompressed one
    /// joins the uncompressed context (then Explicit and Implicit VR LE are not added unless listed), a compressed one
    /// gets a context of its own. Null: the stored syntaxes and the uncompressed fallbacks only.
    /// </summary>
    public static List<PresentationContextProposal> Plan(IEnumerable<(string SopClass, string TransferSyntax)> objects, IReadOnlyList<string>? transcodeTo)
    {
        var contexts = new List<PresentationContextProposal>();
        byte next = 1;
        void Add(string abstractSyntax, IReadOnlyList<string> syntaxes)
        {
            if (contexts.Count == MaxContexts)
                throw new InvalidOperationException($"more than {MaxContexts} presentation contexts are needed; send the objects in smaller batches");
            contexts.Add(new PresentationContextProposal(next, abstractSyntax, syntaxes));
            next += 2;
        }

        Add(DicomUids.Verification, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian]);
        foreach (var group in objects.Distinct().GroupBy(o => o.SopClass, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var native = new List<string>();
            var compressed = new List<string>();
            foreach (var ts in group.Select(o => o.TransferSyntax).Concat(transcodeTo ?? []))
            {
                var syntax = DicomTransferSyntax.FromUid(ts);
                var list = syntax.IsEncapsulated ? compressed : native;
                if (!list.Contains(syntax.Uid))
                    list.Add(syntax.Uid);
            }
            foreach (var ts in compressed)
                Add(group.Key, [ts]);
            if (transcodeTo is null)
            {
                if (native.Count == 0)
                    continue;
                foreach (var fallback in new[] { DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian })
                {
                    if (!native.Contains(fallback))
                        native.Add(fallback);
                }
            }
            // Big endian is read, never written: don't offer it unless it is how an object is stored.
            if (native.Count > 0)
                Add(group.Key, native);
        }
        return contexts;
    }
}
