using System.Numerics;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// The adaptive state of a JPEG-LS scan (T.87 §A.2.1): A, B, C, N for the 365 regular contexts, and A, N, Nn for the
/// two run-interruption contexts (indices 365 and 366), plus the run-length index J table (§A.7.1.2).
/// </summary>
internal sealed class JpegLsContexts
{
    public const int RunContext = 365;
    public const int MinC = -128;
    public const int MaxC = 127;

    /// <summary>J[RUNindex] of T.87 §A.7.1.2.</summary>
    public static ReadOnlySpan<byte> J => [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>
    /// The contexts, their four variables side by side: one address for a sample's context rather than four, which
    /// leaves the decoder's line loop registers for its look-ahead (x64 has 14 free, issue #19).
    /// </summary>
    public readonly Context[] Q = new Context[367];
    public readonly int[] Nn = new int[2];

    public JpegLsContexts(JpegLsParameters p)
    {
        var a = Math.Max(2, (p.Range + 32) / 64);
        Array.Fill(Q, new Context { A = a, N = 1 });
    }

    /// <summary>A, B, C and N of one context (§A.2.1; C is unused by the run-interruption contexts).</summary>
    public struct Context
    {
        public int A;
        public int B;
        public int C;
        public int N;
    }

    /// <summary>§A.6.1–A.6.2: update after a regular sample with (reduced) error <paramref name="errval"/>.</summary>
    public void Update(int q, int errval, int near, int reset)
    {
        ref var cx = ref Q[q];
        var b = cx.B + errval * (2 * near + 1);
        var a = cx.A + Math.Abs(errval);
        var n = cx.N;
        if (n == reset)
        {
            a >>= 1;
            b >>= 1; // an arithmetic shift is the standard's −((1 − B) >> 1) for negative B
            n >>= 1;
        }
        n++;
        cx.A = a;
        cx.N = n;
        if (b <= -n)
        {
            b += n;
            if (cx.C > MinC)
                cx.C--;
            if (b <= -n)
                b = -n + 1;
        }
        else if (b > 0)
        {
            b -= n;
            if (cx.C < MaxC)
                cx.C++;
            if (b > 0)
                b = 0;
        }
        cx.B = b;
    }

    /// <summary>§A.7.2.3: update a run-interruption context.</summary>
    public void UpdateRunInterruption(int riType, int errval, int emErrval, int reset)
    {
        ref var cx = ref Q[RunContext + riType];
        if (errval < 0)
            Nn[riType]++;
        cx.A += (emErrval + 1 - riType) >> 1;
        if (cx.N == reset)
        {
            cx.A >>= 1;
            cx.N >>= 1;
            Nn[riType] >>= 1;
        }
        cx.N++;
    }

    /// <summary>
    /// The Golomb parameter k: the least k with N·2^k ≥ <paramref name="a"/> (§A.5.1). A conforming stream keeps k
    /// within qbpp; the cap only stops a corrupt one from shifting N out of range.
    /// </summary>
    public static int GolombK(int n, int a)
    {
        // With 2^p ≤ a < 2^(p+1) and 2^q ≤ n < 2^(q+1), n·2^(p−q) lies in [2^p, 2^(p+1)): for a > n, k is p − q or
        // p − q + 1 (what the loop of §A.5.1 counts to); for a ≤ n the clamp makes it 0, and n·2^0 ≥ a adds nothing.
        // Log2 and no branch on purpose: without LZCNT (x64 below x86-64-v3, the AOT baseline) Log2 of a value that
        // cannot be 0 is one BSR, where LeadingZeroCount is a BSR behind a test for zero (issue #19).
        var k = Math.Max(0, BitOperations.Log2((uint)a) - BitOperations.Log2((uint)n));
        k += (n << k) < a ? 1 : 0;
        return Math.Min(k, 24);
    }
}
