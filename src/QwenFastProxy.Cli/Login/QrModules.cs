using QRCoder;
using QRCoder.Exceptions;

namespace QwenFastProxy.Cli.Login;

/// <summary>
/// The modules of a QR code for one text, made by QRCoder at error-correction level L (a screen is not damaged,
/// so the smallest symbol wins) in the smallest version that fits.
/// </summary>
public sealed class QrModules
{
    private readonly bool[,] _modules; // [y, x], true = dark

    private QrModules(int version, bool[,] modules)
    {
        Version = version;
        Size = modules.GetLength(0);
        _modules = modules;
    }

    /// <summary>The version, 1 (21×21 modules) to 40 (177×177).</summary>
    public int Version { get; }

    /// <summary>Modules per side, without the quiet zone.</summary>
    public int Size { get; }

    /// <summary>True when the module at column <paramref name="x"/>, row <paramref name="y"/> is dark; outside the symbol is light.</summary>
    public bool this[int x, int y] => x >= 0 && y >= 0 && x < Size && y < Size && _modules[y, x];

    /// <summary>Encodes <paramref name="text"/>. Throws <see cref="ArgumentException"/> when it does not fit in version 40.</summary>
    public static QrModules Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        QRCodeData data;
        try
        {
            data = QRCodeGenerator.GenerateQrCode(text, QRCodeGenerator.ECCLevel.L);
        }
        catch (DataTooLongException exception)
        {
            throw new ArgumentException("The text is too long for a QR code.", nameof(text), exception);
        }

        using (data)
        {
            int size = data.Version * 4 + 17;
            int quietZone = (data.ModuleMatrix.Count - size) / 2; // QRCoder's matrix carries its own; the renderer draws ours
            var modules = new bool[size, size];
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    modules[y, x] = data.ModuleMatrix[y + quietZone][x + quietZone];
                }
            }

            return new QrModules(data.Version, modules);
        }
    }
}
