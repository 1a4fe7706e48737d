using System.Runtime.InteropServices;
using System.Text;

namespace Tracer.BindGen;

/// <summary>
/// libbpf's public headers parsed by libclang, with the top-level declarations indexed by name:
/// functions declared in the header directory itself, and struct/union/enum tags from any header.
/// </summary>
internal sealed unsafe class HeaderIndex : IDisposable
{
    /// <summary>The headers parsed, relative to the header directory (libbpf_common.h comes in through them).</summary>
    internal static readonly string[] Headers = ["libbpf.h", "bpf.h", "btf.h"];

    /// <summary>clang's own stddef.h/stdbool.h/stdarg.h, and the multiarch glibc headers.</summary>
    internal const string ClangBuiltinIncludeDir = "/usr/lib/llvm-19/lib/clang/19/include";
    internal const string MultiarchIncludeDir = "/usr/include/x86_64-linux-gnu";

    private void* _index;
    private void* _tu;

    private HeaderIndex(string headerDir)
    {
        HeaderDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(headerDir));
    }

    internal string HeaderDir { get; }

    internal Dictionary<string, CXCursor> Functions { get; } = new(StringComparer.Ordinal);

    /// <summary>Tag declarations keyed by "struct name", "union name" or "enum name".</summary>
    internal Dictionary<string, CXCursor> Tags { get; } = new(StringComparer.Ordinal);

    internal static HeaderIndex Parse(string headerDir)
    {
        var headers = new HeaderIndex(headerDir);
        try
        {
            headers.ParseTranslationUnit();
            headers.IndexDeclarations();
            return headers;
        }
        catch
        {
            headers.Dispose();
            throw;
        }
    }

    private void ParseTranslationUnit()
    {
        foreach (var header in Headers)
        {
            if (!File.Exists(Path.Combine(HeaderDir, header)))
            {
                throw new BindingGenerationException($"{Path.Combine(HeaderDir, header)} does not exist");
            }
        }

        // An in-memory main file that includes the headers; nothing is written to disk.
        var source = string.Concat(Headers.Select(h => $"#include \"{Path.Combine(HeaderDir, h)}\"\n"));
        string[] args =
        [
            "-x", "c", "-std=gnu11", "--target=x86_64-linux-gnu",
            "-I" + ClangBuiltinIncludeDir,
            "-I" + MultiarchIncludeDir,
        ];

        _index = LibClang.clang_createIndex(0, 0);
        var fileName = Utf8("bindgen.c");
        var contents = Encoding.UTF8.GetBytes(source);
        var argv = args.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        try
        {
            fixed (nint* pArgv = argv)
            fixed (byte* pFileName = fileName)
            fixed (byte* pContents = contents)
            {
                var unsaved = new CXUnsavedFile { Filename = pFileName, Contents = pContents, Length = (nuint)contents.Length };
                void* tu;
                var error = LibClang.clang_parseTranslationUnit2(
                    _index, pFileName, (byte**)pArgv, argv.Length, &unsaved, 1, LibClang.CXTranslationUnit_SkipFunctionBodies, &tu);
                if (error != 0)
                {
                    throw new BindingGenerationException($"libclang could not parse the headers in {HeaderDir} (CXErrorCode {error})");
                }
                _tu = tu;
            }
        }
        finally
        {
            foreach (var arg in argv)
            {
                Marshal.FreeCoTaskMem(arg);
            }
        }

        var errors = new List<string>();
        var count = LibClang.clang_getNumDiagnostics(_tu);
        for (uint i = 0; i < count; i++)
        {
            var diagnostic = LibClang.clang_getDiagnostic(_tu, i);
            if (LibClang.clang_getDiagnosticSeverity(diagnostic) >= LibClang.CXDiagnostic_Error)
            {
                errors.Add(LibClang.Take(LibClang.clang_formatDiagnostic(diagnostic, LibClang.clang_defaultDiagnosticDisplayOptions())));
            }
            LibClang.clang_disposeDiagnostic(diagnostic);
        }
        if (errors.Count > 0)
        {
            throw new BindingGenerationException($"libclang reported errors parsing {HeaderDir}:\n  " + string.Join("\n  ", errors));
        }
    }

    private void IndexDeclarations()
    {
        foreach (var cursor in LibClang.Children(LibClang.clang_getTranslationUnitCursor(_tu)))
        {
            var name = LibClang.Spelling(cursor);
            switch (cursor.kind)
            {
                case CXCursorKind.FunctionDecl when IsInHeaderDir(cursor):
                    Functions.TryAdd(name, cursor);
                    break;
                case CXCursorKind.StructDecl when LibClang.clang_Cursor_isAnonymous(cursor) == 0:
                    Tags.TryAdd("struct " + name, cursor);
                    break;
                case CXCursorKind.UnionDecl when LibClang.clang_Cursor_isAnonymous(cursor) == 0:
                    Tags.TryAdd("union " + name, cursor);
                    break;
                case CXCursorKind.EnumDecl when LibClang.clang_Cursor_isAnonymous(cursor) == 0:
                    Tags.TryAdd("enum " + name, cursor);
                    break;
            }
        }
    }

    private bool IsInHeaderDir(CXCursor cursor)
    {
        void* file;
        uint line, column, offset;
        LibClang.clang_getExpansionLocation(LibClang.clang_getCursorLocation(cursor), &file, &line, &column, &offset);
        if (file == null)
        {
            return false;
        }
        var path = LibClang.Take(LibClang.clang_getFileName(file));
        return string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)), HeaderDir, StringComparison.Ordinal);
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    public void Dispose()
    {
        if (_tu != null)
        {
            LibClang.clang_disposeTranslationUnit(_tu);
            _tu = null;
        }
        if (_index != null)
        {
            LibClang.clang_disposeIndex(_index);
            _index = null;
        }
    }
}
