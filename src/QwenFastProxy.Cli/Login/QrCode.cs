using System.Text;

namespace QwenFastProxy.Cli.Login;

/// <summary>
/// A QR code (Model 2, ISO/IEC 18004) for one text in byte mode: the smallest version that fits at the chosen
/// error-correction level, Reed–Solomon blocks interleaved, and the mask with the lowest penalty. Written for the
/// login's verification URL (a few dozen bytes), but any text up to a version-40 symbol works.
/// </summary>
public sealed class QrCode
{
    private const int MinVersion = 1;
    private const int MaxVersion = 40;

    // Per version (index 0 unused), from the standard's table 9: error-correction codewords per block and number of
    // blocks, for levels L and M.
    private static readonly sbyte[] EccPerBlockL =
        [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30];

    private static readonly sbyte[] EccPerBlockM =
        [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];

    private static readonly sbyte[] BlocksL =
        [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25];

    private static readonly sbyte[] BlocksM =
        [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49];

    private readonly bool[,] _modules;   // [y, x], true = dark
    private readonly bool[,] _function;  // [y, x], true = finder, timing, alignment, format or version module

    private QrCode(int version, QrErrorCorrection level)
    {
        Version = version;
        Level = level;
        Size = version * 4 + 17;
        _modules = new bool[Size, Size];
        _function = new bool[Size, Size];
    }

    /// <summary>The version, 1 (21×21 modules) to 40 (177×177).</summary>
    public int Version { get; }

    /// <summary>Modules per side, without the quiet zone.</summary>
    public int Size { get; }

    /// <summary>The error-correction level.</summary>
    public QrErrorCorrection Level { get; }

    /// <summary>The mask pattern chosen, 0..7.</summary>
    public int Mask { get; private set; }

    /// <summary>True when the module at column <paramref name="x"/>, row <paramref name="y"/> is dark; outside the symbol is light.</summary>
    public bool this[int x, int y] => x >= 0 && y >= 0 && x < Size && y < Size && _modules[y, x];

    /// <summary>Encodes <paramref name="text"/> as UTF-8 bytes. Throws <see cref="ArgumentException"/> when it does not fit in version 40.</summary>
    public static QrCode Encode(string text, QrErrorCorrection level = QrErrorCorrection.Low)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] data = Encoding.UTF8.GetBytes(text);

        int version = MinVersion;
        while (4 + CountBits(version) + data.Length * 8 > DataCodewords(version, level) * 8)
        {
            if (++version > MaxVersion)
            {
                throw new ArgumentException("The text is too long for a QR code.", nameof(text));
            }
        }

        var code = new QrCode(version, level);
        code.DrawFunctionPatterns();
        code.DrawCodewords(code.AddErrorCorrection(code.DataCodewords(data)));
        code.ChooseMask();
        return code;
    }

    // ---- Data ----

    // Byte mode's character count indicator: 8 bits up to version 9, 16 above.
    private static int CountBits(int version) => version < 10 ? 8 : 16;

    private static int EccPerBlock(int version, QrErrorCorrection level) => level == QrErrorCorrection.Low ? EccPerBlockL[version] : EccPerBlockM[version];

    private static int Blocks(int version, QrErrorCorrection level) => level == QrErrorCorrection.Low ? BlocksL[version] : BlocksM[version];

    /// <summary>Modules left for data and error correction once the function patterns are placed.</summary>
    private static int RawDataModules(int version)
    {
        int result = (16 * version + 128) * version + 64;
        if (version >= 2)
        {
            int alignments = version / 7 + 2;
            result -= (25 * alignments - 10) * alignments - 55;
            if (version >= 7)
            {
                result -= 36;
            }
        }

        return result;
    }

    private static int DataCodewords(int version, QrErrorCorrection level) =>
        RawDataModules(version) / 8 - EccPerBlock(version, level) * Blocks(version, level);

    /// <summary>Mode, count, the bytes, terminator, and the 0xEC/0x11 padding up to the version's capacity.</summary>
    private byte[] DataCodewords(byte[] data)
    {
        int capacity = DataCodewords(Version, Level);
        var bits = new BitWriter(capacity);
        bits.Append(0b0100, 4); // byte mode
        bits.Append(data.Length, CountBits(Version));
        foreach (byte b in data)
        {
            bits.Append(b, 8);
        }

        bits.Append(0, Math.Min(4, capacity * 8 - bits.Length));
        bits.Append(0, (8 - bits.Length % 8) % 8);
        for (byte pad = 0xEC; bits.Length < capacity * 8; pad ^= 0xEC ^ 0x11)
        {
            bits.Append(pad, 8);
        }

        return bits.ToArray();
    }

    /// <summary>Splits into blocks, appends each block's Reed–Solomon codewords, and interleaves them.</summary>
    private byte[] AddErrorCorrection(byte[] data)
    {
        int blocks = Blocks(Version, Level);
        int eccLength = EccPerBlock(Version, Level);
        int rawCodewords = RawDataModules(Version) / 8;
        int shortBlocks = blocks - rawCodewords % blocks;
        int shortLength = rawCodewords / blocks;

        byte[] divisor = ReedSolomon.Divisor(eccLength);
        var withEcc = new byte[blocks][];
        for (int i = 0, offset = 0; i < blocks; i++)
        {
            int dataLength = shortLength - eccLength + (i < shortBlocks ? 0 : 1);
            var block = data.AsSpan(offset, dataLength);
            offset += dataLength;
            byte[] ecc = ReedSolomon.Remainder(block, divisor);
            // Short blocks get a placeholder where long blocks have their last data codeword, so columns line up.
            var full = new byte[shortLength + 1];
            block.CopyTo(full);
            ecc.CopyTo(full, shortLength + 1 - eccLength);
            withEcc[i] = full;
        }

        var result = new byte[rawCodewords];
        int k = 0;
        for (int column = 0; column <= shortLength; column++)
        {
            for (int i = 0; i < blocks; i++)
            {
                if (column != shortLength - eccLength || i >= shortBlocks)
                {
                    result[k++] = withEcc[i][column];
                }
            }
        }

        return result;
    }

    // ---- Drawing ----

    private void SetFunction(int x, int y, bool dark)
    {
        _modules[y, x] = dark;
        _function[y, x] = true;
    }

    private void DrawFunctionPatterns()
    {
        for (int i = 0; i < Size; i++)
        {
            SetFunction(6, i, i % 2 == 0);
            SetFunction(i, 6, i % 2 == 0);
        }

        DrawFinder(3, 3);
        DrawFinder(Size - 4, 3);
        DrawFinder(3, Size - 4);

        int[] positions = AlignmentPositions();
        int last = positions.Length - 1;
        for (int i = 0; i < positions.Length; i++)
        {
            for (int j = 0; j < positions.Length; j++)
            {
                bool underFinder = (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0);
                if (!underFinder)
                {
                    DrawAlignment(positions[i], positions[j]);
                }
            }
        }

        DrawFormatBits(0); // reserves the area; redrawn once the mask is chosen
        DrawVersion();
    }

    /// <summary>A finder pattern with its light separator, centred on (<paramref name="cx"/>, <paramref name="cy"/>).</summary>
    private void DrawFinder(int cx, int cy)
    {
        for (int dy = -4; dy <= 4; dy++)
        {
            for (int dx = -4; dx <= 4; dx++)
            {
                int x = cx + dx, y = cy + dy;
                if (x >= 0 && x < Size && y >= 0 && y < Size)
                {
                    int distance = Math.Max(Math.Abs(dx), Math.Abs(dy));
                    SetFunction(x, y, distance is not 2 and not 4);
                }
            }
        }
    }

    private void DrawAlignment(int cx, int cy)
    {
        for (int dy = -2; dy <= 2; dy++)
        {
            for (int dx = -2; dx <= 2; dx++)
            {
                SetFunction(cx + dx, cy + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
            }
        }
    }

    /// <summary>Centre coordinates of the alignment patterns, ascending (the standard's table E.1, computed).</summary>
    private int[] AlignmentPositions()
    {
        if (Version == 1)
        {
            return [];
        }

        int count = Version / 7 + 2;
        int step = (Version * 8 + count * 3 + 5) / (count * 4 - 4) * 2;
        var result = new int[count];
        result[0] = 6;
        for (int i = count - 1, position = Size - 7; i >= 1; i--, position -= step)
        {
            result[i] = position;
        }

        return result;
    }

    /// <summary>Both copies of the 15 format bits (level and mask, BCH-protected) and the dark module.</summary>
    private void DrawFormatBits(int mask)
    {
        int levelBits = Level == QrErrorCorrection.Low ? 1 : 0;
        int data = levelBits << 3 | mask;
        int remainder = data;
        for (int i = 0; i < 10; i++)
        {
            remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
        }

        int bits = (data << 10 | remainder) ^ 0x5412;

        for (int i = 0; i <= 5; i++)
        {
            SetFunction(8, i, Bit(bits, i));
        }

        SetFunction(8, 7, Bit(bits, 6));
        SetFunction(8, 8, Bit(bits, 7));
        SetFunction(7, 8, Bit(bits, 8));
        for (int i = 9; i < 15; i++)
        {
            SetFunction(14 - i, 8, Bit(bits, i));
        }

        for (int i = 0; i < 8; i++)
        {
            SetFunction(Size - 1 - i, 8, Bit(bits, i));
        }

        for (int i = 8; i < 15; i++)
        {
            SetFunction(8, Size - 15 + i, Bit(bits, i));
        }

        SetFunction(8, Size - 8, true);
    }

    /// <summary>Versions 7 and up: two copies of the 18 version bits (Golay-protected).</summary>
    private void DrawVersion()
    {
        if (Version < 7)
        {
            return;
        }

        int remainder = Version;
        for (int i = 0; i < 12; i++)
        {
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25);
        }

        int bits = Version << 12 | remainder;
        for (int i = 0; i < 18; i++)
        {
            bool bit = Bit(bits, i);
            int a = Size - 11 + i % 3, b = i / 3;
            SetFunction(a, b, bit);
            SetFunction(b, a, bit);
        }
    }

    /// <summary>The zigzag placement: column pairs from the right, alternately upwards and downwards, skipping column 6.</summary>
    private void DrawCodewords(byte[] codewords)
    {
        int bit = 0;
        int total = codewords.Length * 8;
        for (int right = Size - 1; right >= 1; right -= 2)
        {
            if (right == 6)
            {
                right = 5;
            }

            bool upward = ((right + 1) & 2) == 0;
            for (int step = 0; step < Size; step++)
            {
                int y = upward ? Size - 1 - step : step;
                for (int j = 0; j < 2; j++)
                {
                    int x = right - j;
                    if (!_function[y, x] && bit < total)
                    {
                        _modules[y, x] = Bit(codewords[bit >> 3], 7 - (bit & 7));
                        bit++;
                    }
                }
            }
        }
    }

    // ---- Masking ----

    private void ChooseMask()
    {
        int best = 0;
        int bestPenalty = int.MaxValue;
        for (int mask = 0; mask < 8; mask++)
        {
            ApplyMask(mask);
            DrawFormatBits(mask);
            int penalty = Penalty();
            if (penalty < bestPenalty)
            {
                best = mask;
                bestPenalty = penalty;
            }

            ApplyMask(mask); // XOR again undoes it
        }

        Mask = best;
        ApplyMask(best);
        DrawFormatBits(best);
    }

    private void ApplyMask(int mask)
    {
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                bool invert = mask switch
                {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                if (invert && !_function[y, x])
                {
                    _modules[y, x] = !_modules[y, x];
                }
            }
        }
    }

    /// <summary>The standard's four penalty rules; lower is easier to read.</summary>
    private int Penalty()
    {
        int penalty = 0;

        // Rule 1: runs of five or more modules of one colour, in rows and columns. Rule 3: finder-like 1:1:3:1:1 runs.
        for (int line = 0; line < Size; line++)
        {
            penalty += LinePenalty(line, horizontal: true) + LinePenalty(line, horizontal: false);
        }

        // Rule 2: 2×2 blocks of one colour.
        for (int y = 0; y < Size - 1; y++)
        {
            for (int x = 0; x < Size - 1; x++)
            {
                bool c = _modules[y, x];
                if (c == _modules[y, x + 1] && c == _modules[y + 1, x] && c == _modules[y + 1, x + 1])
                {
                    penalty += 3;
                }
            }
        }

        // Rule 4: every 5 % the dark share strays from 50 % costs 10.
        int dark = 0;
        foreach (bool module in _modules)
        {
            dark += module ? 1 : 0;
        }

        int total = Size * Size;
        penalty += Math.Abs(dark * 20 - total * 10) / total * 10;
        return penalty;
    }

    private int LinePenalty(int line, bool horizontal)
    {
        int penalty = 0;
        int run = 0;
        bool color = false;
        for (int i = 0; i < Size; i++)
        {
            bool module = horizontal ? _modules[line, i] : _modules[i, line];
            if (i > 0 && module == color)
            {
                run++;
                if (run == 5)
                {
                    penalty += 3;
                }
                else if (run > 5)
                {
                    penalty++;
                }
            }
            else
            {
                color = module;
                run = 1;
            }

            // dark-light-dark-dark-dark-light-dark with four light modules (or the border) on one side
            if (i >= 6 && Matches(line, i - 6, horizontal, [true, false, true, true, true, false, true])
                && (LightRun(line, i - 10, horizontal) || LightRun(line, i + 1, horizontal)))
            {
                penalty += 40;
            }
        }

        return penalty;
    }

    private bool Matches(int line, int start, bool horizontal, ReadOnlySpan<bool> pattern)
    {
        for (int k = 0; k < pattern.Length; k++)
        {
            int i = start + k;
            if ((horizontal ? this[i, line] : this[line, i]) != pattern[k])
            {
                return false;
            }
        }

        return true;
    }

    private bool LightRun(int line, int start, bool horizontal)
    {
        for (int i = start; i < start + 4; i++)
        {
            if (horizontal ? this[i, line] : this[line, i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool Bit(int value, int index) => ((value >> index) & 1) != 0;

    /// <summary>Reed–Solomon over GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D).</summary>
    internal static class ReedSolomon
    {
        /// <summary>The generator polynomial of <paramref name="degree"/>, coefficients from the highest power, the leading 1 left out.</summary>
        public static byte[] Divisor(int degree)
        {
            var result = new byte[degree];
            result[degree - 1] = 1;
            byte root = 1;
            for (int i = 0; i < degree; i++)
            {
                for (int j = 0; j < degree; j++)
                {
                    result[j] = Multiply(result[j], root);
                    if (j + 1 < degree)
                    {
                        result[j] ^= result[j + 1];
                    }
                }

                root = Multiply(root, 0x02);
            }

            return result;
        }

        /// <summary>The remainder of <paramref name="data"/>·x^n divided by the generator: the error-correction codewords.</summary>
        public static byte[] Remainder(ReadOnlySpan<byte> data, byte[] divisor)
        {
            var result = new byte[divisor.Length];
            foreach (byte b in data)
            {
                byte factor = (byte)(b ^ result[0]);
                Array.Copy(result, 1, result, 0, result.Length - 1);
                result[^1] = 0;
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] ^= Multiply(divisor[i], factor);
                }
            }

            return result;
        }

        public static byte Multiply(byte x, byte y)
        {
            int z = 0;
            for (int i = 7; i >= 0; i--)
            {
                z = (z << 1) ^ ((z >> 7) * 0x11D);
                z ^= ((y >> i) & 1) * x;
            }

            return (byte)z;
        }
    }

    /// <summary>Appends bits most significant first.</summary>
    private sealed class BitWriter(int capacityBytes)
    {
        private readonly byte[] _bytes = new byte[capacityBytes];

        public int Length { get; private set; }

        public void Append(int value, int count)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                if (((value >> i) & 1) != 0)
                {
                    _bytes[Length >> 3] |= (byte)(0x80 >> (Length & 7));
                }

                Length++;
            }
        }

        public byte[] ToArray() => _bytes;
    }
}

/// <summary>How much of a QR code may be damaged and still read.</summary>
public enum QrErrorCorrection
{
    /// <summary>About 7 %: the smallest symbol, right for a screen.</summary>
    Low,

    /// <summary>About 15 %.</summary>
    Medium,
}
