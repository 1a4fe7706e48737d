using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tracer.BindGen;

// The small part of libclang's C API (clang-c/Index.h) that the generator uses, declared by hand
// because the libclang headers are not installed. Layouts are those of clang 19 on x86_64.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXString
{
    public void* data;
    public uint private_flags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXCursor
{
    public CXCursorKind kind;
    public int xdata;
    public void* data0;
    public void* data1;
    public void* data2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXType
{
    public CXTypeKind kind;
    public void* data0;
    public void* data1;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXSourceLocation
{
    public void* ptr_data0;
    public void* ptr_data1;
    public uint int_data;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXUnsavedFile
{
    public byte* Filename;
    public byte* Contents;
    public nuint Length;
}

internal enum CXCursorKind
{
    StructDecl = 2,
    UnionDecl = 3,
    EnumDecl = 5,
    FieldDecl = 6,
    EnumConstantDecl = 7,
    FunctionDecl = 8,
    TypedefDecl = 20,
}

internal enum CXTypeKind
{
    Invalid = 0,
    Unexposed = 1,
    Void = 2,
    Bool = 3,
    Char_U = 4,
    UChar = 5,
    UShort = 8,
    UInt = 9,
    ULong = 10,
    ULongLong = 11,
    UInt128 = 12,
    Char_S = 13,
    SChar = 14,
    Short = 16,
    Int = 17,
    Long = 18,
    LongLong = 19,
    Int128 = 20,
    Float = 21,
    Double = 22,
    Pointer = 101,
    Record = 105,
    Enum = 106,
    Typedef = 107,
    FunctionNoProto = 110,
    FunctionProto = 111,
    ConstantArray = 112,
    IncompleteArray = 114,
    Elaborated = 119,
}

internal static unsafe partial class LibClang
{
    private const string Library = "libclang-19.so.1";

    internal const int CXChildVisit_Continue = 1;
    internal const int CXVisit_Continue = 1;
    internal const int CXCallingConv_Default = 0;
    internal const int CXCallingConv_C = 1;
    internal const int CXDiagnostic_Error = 3;
    internal const uint CXTranslationUnit_SkipFunctionBodies = 0x40;

    [LibraryImport(Library)] internal static partial void* clang_createIndex(int excludeDeclarationsFromPCH, int displayDiagnostics);
    [LibraryImport(Library)] internal static partial void clang_disposeIndex(void* index);

    [LibraryImport(Library)]
    internal static partial int clang_parseTranslationUnit2(
        void* index, byte* source_filename, byte** command_line_args, int num_command_line_args,
        CXUnsavedFile* unsaved_files, uint num_unsaved_files, uint options, void** out_TU);

    [LibraryImport(Library)] internal static partial void clang_disposeTranslationUnit(void* tu);
    [LibraryImport(Library)] internal static partial CXCursor clang_getTranslationUnitCursor(void* tu);

    [LibraryImport(Library)] internal static partial uint clang_getNumDiagnostics(void* tu);
    [LibraryImport(Library)] internal static partial void* clang_getDiagnostic(void* tu, uint index);
    [LibraryImport(Library)] internal static partial int clang_getDiagnosticSeverity(void* diagnostic);
    [LibraryImport(Library)] internal static partial CXString clang_formatDiagnostic(void* diagnostic, uint options);
    [LibraryImport(Library)] internal static partial uint clang_defaultDiagnosticDisplayOptions();
    [LibraryImport(Library)] internal static partial void clang_disposeDiagnostic(void* diagnostic);

    [LibraryImport(Library)] internal static partial byte* clang_getCString(CXString str);
    [LibraryImport(Library)] internal static partial void clang_disposeString(CXString str);

    [LibraryImport(Library)]
    internal static partial uint clang_visitChildren(
        CXCursor parent, delegate* unmanaged[Cdecl]<CXCursor, CXCursor, void*, int> visitor, void* client_data);

    [LibraryImport(Library)]
    internal static partial uint clang_Type_visitFields(
        CXType type, delegate* unmanaged[Cdecl]<CXCursor, void*, int> visitor, void* client_data);

    [LibraryImport(Library)] internal static partial CXString clang_getCursorSpelling(CXCursor cursor);
    [LibraryImport(Library)] internal static partial CXType clang_getCursorType(CXCursor cursor);
    [LibraryImport(Library)] internal static partial CXSourceLocation clang_getCursorLocation(CXCursor cursor);
    [LibraryImport(Library)] internal static partial void clang_getExpansionLocation(CXSourceLocation location, void** file, uint* line, uint* column, uint* offset);
    [LibraryImport(Library)] internal static partial CXString clang_getFileName(void* file);

    [LibraryImport(Library)] internal static partial int clang_Cursor_getNumArguments(CXCursor cursor);
    [LibraryImport(Library)] internal static partial CXCursor clang_Cursor_getArgument(CXCursor cursor, uint index);
    [LibraryImport(Library)] internal static partial long clang_Cursor_getOffsetOfField(CXCursor cursor);
    [LibraryImport(Library)] internal static partial uint clang_Cursor_isBitField(CXCursor cursor);
    [LibraryImport(Library)] internal static partial int clang_getFieldDeclBitWidth(CXCursor cursor);
    [LibraryImport(Library)] internal static partial uint clang_Cursor_isAnonymous(CXCursor cursor);
    [LibraryImport(Library)] internal static partial uint clang_Cursor_isAnonymousRecordDecl(CXCursor cursor);
    [LibraryImport(Library)] internal static partial CXType clang_getTypedefDeclUnderlyingType(CXCursor cursor);
    [LibraryImport(Library)] internal static partial CXType clang_getEnumDeclIntegerType(CXCursor cursor);
    [LibraryImport(Library)] internal static partial long clang_getEnumConstantDeclValue(CXCursor cursor);
    [LibraryImport(Library)] internal static partial ulong clang_getEnumConstantDeclUnsignedValue(CXCursor cursor);

    [LibraryImport(Library)] internal static partial CXString clang_getTypeSpelling(CXType type);
    [LibraryImport(Library)] internal static partial CXString clang_getTypedefName(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_getCanonicalType(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_Type_getNamedType(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_getPointeeType(CXType type);
    [LibraryImport(Library)] internal static partial CXCursor clang_getTypeDeclaration(CXType type);
    [LibraryImport(Library)] internal static partial long clang_Type_getSizeOf(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_getArrayElementType(CXType type);
    [LibraryImport(Library)] internal static partial long clang_getArraySize(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_getResultType(CXType type);
    [LibraryImport(Library)] internal static partial int clang_getNumArgTypes(CXType type);
    [LibraryImport(Library)] internal static partial CXType clang_getArgType(CXType type, uint index);
    [LibraryImport(Library)] internal static partial int clang_getFunctionTypeCallingConv(CXType type);
    [LibraryImport(Library)] internal static partial uint clang_isFunctionTypeVariadic(CXType type);

    /// <summary>Converts a CXString to a managed string and disposes it.</summary>
    internal static string Take(CXString str)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)clang_getCString(str)) ?? "";
        }
        finally
        {
            clang_disposeString(str);
        }
    }

    internal static string Spelling(CXCursor cursor) => Take(clang_getCursorSpelling(cursor));

    internal static string Spelling(CXType type) => Take(clang_getTypeSpelling(type));

    /// <summary>The direct children of <paramref name="parent"/> (clang_visitChildren without recursion).</summary>
    internal static List<CXCursor> Children(CXCursor parent)
    {
        var children = new List<CXCursor>();
        var handle = GCHandle.Alloc(children);
        try
        {
            clang_visitChildren(parent, &CollectChild, (void*)GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
        return children;
    }

    /// <summary>All fields of a record type in declaration order, unnamed ones included (clang_Type_visitFields).</summary>
    internal static List<CXCursor> Fields(CXType record)
    {
        var fields = new List<CXCursor>();
        var handle = GCHandle.Alloc(fields);
        try
        {
            clang_Type_visitFields(record, &CollectField, (void*)GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
        return fields;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int CollectChild(CXCursor cursor, CXCursor parent, void* clientData)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr((nint)clientData).Target!).Add(cursor);
        return CXChildVisit_Continue;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int CollectField(CXCursor cursor, void* clientData)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr((nint)clientData).Target!).Add(cursor);
        return CXVisit_Continue;
    }
}
