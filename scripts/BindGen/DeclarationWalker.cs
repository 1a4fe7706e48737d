using System.Globalization;
using System.Text.RegularExpressions;

namespace Tracer.BindGen;

/// <summary>
/// Starting from the API list, collects the functions and every struct/union/enum they reach
/// (parameter and return types, struct fields, transitively), mapping C types to C# types for
/// x86_64 Linux (LP64). Sizes and offsets all come from clang.
/// </summary>
internal sealed unsafe partial class DeclarationWalker(HeaderIndex headers)
{
    /// <summary>Typedefs kept by name rather than by their canonical type.</summary>
    private static readonly Dictionary<string, string> NamedTypedefs = new(StringComparer.Ordinal)
    {
        ["size_t"] = "nuint",
        ["ssize_t"] = "nint",
        // A va_list argument is passed as a pointer on x86_64.
        ["va_list"] = "nint",
        ["__gnuc_va_list"] = "nint",
        ["__builtin_va_list"] = "nint",
    };

    /// <summary>Element types C# allows in fixed-size buffers.</summary>
    private static readonly HashSet<string> FixedBufferTypes =
        ["byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double"];

    private readonly Dictionary<string, TypeModel?> _types = new(StringComparer.Ordinal);
    private readonly Queue<Action> _pending = new();

    internal BindingModel Walk(IReadOnlyList<ApiEntry> api, string libbpfVersion, string headerDir)
    {
        var missing = api.Where(e => !Exists(e)).Select(e => e.ToString()).ToList();
        if (missing.Count > 0)
        {
            throw new BindingGenerationException(
                $"not declared in the libbpf {libbpfVersion} headers in {headerDir}: {string.Join(", ", missing)}" +
                " (remove them from the API list)");
        }

        var functions = new List<FunctionModel>();
        foreach (var entry in api)
        {
            if (entry.Kind == ApiKind.Function)
            {
                functions.Add(MapFunction(entry.Name, headers.Functions[entry.Name]));
            }
            else
            {
                MapType(LibClang.clang_getCursorType(headers.Tags[entry.ToString()]), member: null);
            }
        }

        while (_pending.TryDequeue(out var build))
        {
            build();
        }

        var types = _types.Values.Select(t => t!).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        return new BindingModel(libbpfVersion, headerDir, functions, types);
    }

    private bool Exists(ApiEntry entry) => entry.Kind == ApiKind.Function
        ? headers.Functions.ContainsKey(entry.Name)
        : headers.Tags.ContainsKey(entry.ToString());

    private FunctionModel MapFunction(string name, CXCursor function)
    {
        var type = LibClang.clang_getCursorType(function);
        if (LibClang.clang_isFunctionTypeVariadic(type) != 0)
        {
            throw new BindingGenerationException($"{name}: variadic functions cannot be bound");
        }
        CheckCallingConvention(type, name);

        var resultType = LibClang.clang_getResultType(type);
        var parameters = new List<ParameterModel>();
        var prototype = new List<string>();
        var count = LibClang.clang_Cursor_getNumArguments(function);
        for (uint i = 0; i < count; i++)
        {
            var parameter = LibClang.clang_Cursor_getArgument(function, i);
            var parameterName = LibClang.Spelling(parameter);
            if (parameterName.Length == 0)
            {
                parameterName = "arg" + i.ToString(CultureInfo.InvariantCulture);
            }
            var parameterType = LibClang.clang_getCursorType(parameter);
            parameters.Add(new ParameterModel(MapType(parameterType, member: null), parameterName));
            prototype.Add(Declarator(LibClang.Spelling(parameterType), parameterName));
        }

        var text = Declarator(LibClang.Spelling(resultType), name) + "(" + (count == 0 ? "void" : string.Join(", ", prototype)) + ")";
        return new FunctionModel(name, MapType(resultType, member: null), parameters, text);
    }

    /// <summary>"const char *" + "p" → "const char *p"; "int (*)(void)" + "cb" → "int (*cb)(void)"; "int[]" + "a" → "int a[]".</summary>
    private static string Declarator(string typeSpelling, string name)
    {
        var functionPointer = typeSpelling.IndexOf("(*)", StringComparison.Ordinal);
        if (functionPointer >= 0)
        {
            return typeSpelling.Insert(functionPointer + 2, name);
        }
        var array = typeSpelling.IndexOf('[', StringComparison.Ordinal);
        if (array >= 0)
        {
            return typeSpelling[..array].TrimEnd() + " " + name + typeSpelling[array..];
        }
        return typeSpelling.EndsWith('*') ? typeSpelling + name : typeSpelling + " " + name;
    }

    /// <summary>
    /// Maps a C type to a C# type name. Typedef sugar is looked through, except for the typedefs in
    /// <see cref="NamedTypedefs"/>; everything else is decided from clang's canonical type.
    /// <paramref name="member"/> ("owner.field") names the type if it is an anonymous struct/union/enum:
    /// the C# name is then "owner_field".
    /// </summary>
    private string MapType(CXType type, string? member)
    {
        while (true)
        {
            if (type.kind == CXTypeKind.Typedef)
            {
                if (NamedTypedefs.TryGetValue(LibClang.Take(LibClang.clang_getTypedefName(type)), out var named))
                {
                    return named;
                }
                type = LibClang.clang_getTypedefDeclUnderlyingType(LibClang.clang_getTypeDeclaration(type));
            }
            else if (type.kind == CXTypeKind.Elaborated)
            {
                type = LibClang.clang_Type_getNamedType(type);
            }
            else
            {
                break;
            }
        }

        var canonical = LibClang.clang_getCanonicalType(type);
        switch (canonical.kind)
        {
            case CXTypeKind.Void:
                return "void";
            case CXTypeKind.Bool:
                return "byte";
            case CXTypeKind.Float:
                return "float";
            case CXTypeKind.Double:
                return "double";
            case CXTypeKind.Char_U or CXTypeKind.UChar or CXTypeKind.UShort or CXTypeKind.UInt or CXTypeKind.ULong or CXTypeKind.ULongLong:
                return Integer(LibClang.clang_Type_getSizeOf(canonical), signed: false, type);
            case CXTypeKind.Char_S or CXTypeKind.SChar or CXTypeKind.Short or CXTypeKind.Int or CXTypeKind.Long or CXTypeKind.LongLong:
                return Integer(LibClang.clang_Type_getSizeOf(canonical), signed: true, type);
            case CXTypeKind.Pointer:
                // Keep the pointee's typedef sugar when we have it (size_t *, callback typedefs).
                var pointee = LibClang.clang_getPointeeType(type.kind == CXTypeKind.Pointer ? type : canonical);
                var pointeeCanonical = LibClang.clang_getCanonicalType(pointee);
                return pointeeCanonical.kind switch
                {
                    CXTypeKind.FunctionProto => FunctionPointer(pointee),
                    CXTypeKind.Char_S or CXTypeKind.Char_U => "byte*",
                    // The canonical type of a va_list parameter: a decayed __va_list_tag[1].
                    CXTypeKind.Record when IsVaListTag(pointeeCanonical) => "nint",
                    _ => MapType(pointee, member: null) + "*",
                };
            case CXTypeKind.ConstantArray or CXTypeKind.IncompleteArray:
                // Only parameters get here (fields handle arrays first): C adjusts them to pointers.
                var element = LibClang.clang_getArrayElementType(type.kind == canonical.kind ? type : canonical);
                return LibClang.clang_getCanonicalType(element).kind is CXTypeKind.Char_S or CXTypeKind.Char_U
                    ? "byte*"
                    : MapType(element, member: null) + "*";
            case CXTypeKind.Record:
                return RequireRecord(canonical, member);
            case CXTypeKind.Enum:
                return RequireEnum(canonical, member);
            default:
                throw new BindingGenerationException($"unsupported C type '{LibClang.Spelling(type)}' (clang type kind {(int)canonical.kind})");
        }
    }

    private static string Integer(long size, bool signed, CXType type) => size switch
    {
        1 => signed ? "sbyte" : "byte",
        2 => signed ? "short" : "ushort",
        4 => signed ? "int" : "uint",
        8 => signed ? "long" : "ulong",
        _ => throw new BindingGenerationException($"unsupported {size}-byte integer type '{LibClang.Spelling(type)}'"),
    };

    private static bool IsVaListTag(CXType record) =>
        LibClang.Spelling(LibClang.clang_getTypeDeclaration(record)) == "__va_list_tag";

    private string FunctionPointer(CXType function)
    {
        var spelling = LibClang.Spelling(function);
        if (LibClang.clang_isFunctionTypeVariadic(function) != 0)
        {
            throw new BindingGenerationException($"variadic function pointer type '{spelling}' cannot be bound");
        }
        CheckCallingConvention(function, spelling);

        var types = new List<string>();
        var count = LibClang.clang_getNumArgTypes(function);
        for (uint i = 0; i < count; i++)
        {
            types.Add(MapType(LibClang.clang_getArgType(function, i), member: null));
        }
        types.Add(MapType(LibClang.clang_getResultType(function), member: null));
        return $"delegate* unmanaged[Cdecl]<{string.Join(", ", types)}>";
    }

    private static void CheckCallingConvention(CXType function, string what)
    {
        var callingConvention = LibClang.clang_getFunctionTypeCallingConv(function);
        if (callingConvention is not (LibClang.CXCallingConv_Default or LibClang.CXCallingConv_C))
        {
            throw new BindingGenerationException($"{what}: unsupported calling convention {callingConvention}");
        }
    }

    /// <summary>The C# name of a struct/union type; queues its definition the first time it is seen.</summary>
    private string RequireRecord(CXType canonical, string? member)
    {
        var declaration = LibClang.clang_getTypeDeclaration(canonical);
        var keyword = declaration.kind == CXCursorKind.UnionDecl ? "union" : "struct";
        var (name, description) = TagName(declaration, keyword, member);
        if (Claim(name, description))
        {
            _pending.Enqueue(() => _types[name] = BuildRecord(name, description, canonical));
        }
        return name;
    }

    private string RequireEnum(CXType canonical, string? member)
    {
        var declaration = LibClang.clang_getTypeDeclaration(canonical);
        var (name, description) = TagName(declaration, "enum", member);
        if (Claim(name, description))
        {
            _pending.Enqueue(() => _types[name] = BuildEnum(name, description, declaration));
        }
        return name;
    }

    private static (string Name, string Description) TagName(CXCursor declaration, string keyword, string? member)
    {
        if (LibClang.clang_Cursor_isAnonymous(declaration) == 0)
        {
            // A tag, or the typedef name of an anonymous struct ("typedef struct { ... } name_t;").
            var name = LibClang.Spelling(declaration);
            if (Identifier().IsMatch(name))
            {
                return (name, LibClang.Spelling(LibClang.clang_getCursorType(declaration)));
            }
        }
        if (member is null)
        {
            throw new BindingGenerationException(
                $"cannot name the anonymous {keyword} '{LibClang.Spelling(LibClang.clang_getCursorType(declaration))}'");
        }
        return (member.Replace('.', '_'), $"anonymous {keyword}, type of {member}");
    }

    /// <summary>Reserves <paramref name="name"/>; false if it is already taken by the same C type.</summary>
    private bool Claim(string name, string description)
    {
        if (_types.TryGetValue(name, out var existing))
        {
            if (existing is not null && existing.Description != description)
            {
                throw new BindingGenerationException($"C# name {name} is used by both '{existing.Description}' and '{description}'");
            }
            return false;
        }
        _types[name] = null;
        return true;
    }

    private EnumModel BuildEnum(string name, string description, CXCursor declaration)
    {
        var integerType = LibClang.clang_getEnumDeclIntegerType(declaration);
        var underlying = MapType(integerType, member: null);
        var unsigned = underlying is "byte" or "ushort" or "uint" or "ulong";
        var constants = LibClang.Children(declaration)
            .Where(c => c.kind == CXCursorKind.EnumConstantDecl)
            .Select(c => new EnumConstantModel(
                LibClang.Spelling(c),
                unsigned
                    ? LibClang.clang_getEnumConstantDeclUnsignedValue(c).ToString(CultureInfo.InvariantCulture)
                    : LibClang.clang_getEnumConstantDeclValue(c).ToString(CultureInfo.InvariantCulture)))
            .ToList();
        return new EnumModel(name, description, underlying, constants);
    }

    private RecordModel BuildRecord(string name, string description, CXType type)
    {
        var size = LibClang.clang_Type_getSizeOf(type);
        if (size < 0)
        {
            return new RecordModel(name, description, null, []);
        }
        var fields = new List<FieldModel>();
        AddFields(name, type, 0, fields);
        if (fields.Any(f => f.Name == name))
        {
            throw new BindingGenerationException($"{description} has a member with the type's own name, which C# does not allow");
        }
        return new RecordModel(name, description, size, fields);
    }

    /// <summary>
    /// Adds the fields of <paramref name="record"/>, at <paramref name="baseBits"/> within the emitted
    /// struct. Members of anonymous struct/union members are flattened into the parent at their
    /// absolute offsets, which is how unions and anonymous members are represented.
    /// </summary>
    private void AddFields(string owner, CXType record, long baseBits, List<FieldModel> fields)
    {
        foreach (var field in LibClang.Fields(record))
        {
            var name = LibClang.Spelling(field);
            var type = LibClang.clang_getCursorType(field);
            var bits = baseBits + LibClang.clang_Cursor_getOffsetOfField(field);
            var isBitField = LibClang.clang_Cursor_isBitField(field) != 0;

            if (isBitField && name.Length == 0)
            {
                continue; // unnamed bitfield: padding (e.g. "__u32 :32;", "long :0;")
            }
            var canonical = LibClang.clang_getCanonicalType(type);
            if (canonical.kind == CXTypeKind.Record &&
                LibClang.clang_Cursor_isAnonymousRecordDecl(LibClang.clang_getTypeDeclaration(canonical)) != 0)
            {
                AddFields(owner, canonical, bits, fields); // anonymous struct/union member: flatten
                continue;
            }
            if (name.Length == 0)
            {
                throw new BindingGenerationException($"{owner}: unnamed member of type '{LibClang.Spelling(type)}'");
            }

            if (isBitField)
            {
                AddBitField(owner, name, type, bits, LibClang.clang_getFieldDeclBitWidth(field), fields);
                continue;
            }

            var member = owner + "." + name;
            var arrayType = Desugar(type);
            switch (arrayType.kind)
            {
                case CXTypeKind.ConstantArray:
                    AddArray(name, arrayType, bits / 8, member, fields);
                    break;
                case CXTypeKind.IncompleteArray:
                    var omitted = new FieldModel(name, bits / 8, "", FieldShape.Omitted);
                    omitted.Notes.Add($"flexible array member '{LibClang.Spelling(type)} {name}' at offset {bits / 8} is not represented");
                    fields.Add(omitted);
                    break;
                default:
                    fields.Add(new FieldModel(name, bits / 8, MapType(type, member)));
                    break;
            }
        }
    }

    private void AddArray(string name, CXType arrayType, long offset, string member, List<FieldModel> fields)
    {
        // Multi-dimensional arrays are flattened to one buffer of the innermost element type.
        long length = 1;
        var element = arrayType;
        for (var array = arrayType; array.kind == CXTypeKind.ConstantArray; array = Desugar(element))
        {
            length *= LibClang.clang_getArraySize(array);
            element = LibClang.clang_getArrayElementType(array); // keeps typedef sugar (size_t)
        }
        if (length == 0)
        {
            var omitted = new FieldModel(name, offset, "", FieldShape.Omitted);
            omitted.Notes.Add($"zero-length array '{LibClang.Spelling(arrayType)} {name}' at offset {offset} is not represented");
            fields.Add(omitted);
            return;
        }
        var elementType = MapType(element, member);
        if (FixedBufferTypes.Contains(elementType))
        {
            fields.Add(new FieldModel(name, offset, elementType, FieldShape.FixedBuffer, length));
            return;
        }
        var field = new FieldModel(name, offset, elementType.EndsWith('*') || elementType.EndsWith('>') ? "nint" : elementType, FieldShape.InlineArray, length);
        if (field.Type != elementType)
        {
            // C# cannot index an inline array of pointers, so they are stored as nint.
            field.Notes.Add($"elements are {elementType}");
        }
        fields.Add(field);
    }

    /// <summary>
    /// Bitfields are represented by their storage unit: an unsigned integer of the declared type's
    /// size, at the unit's byte offset, named after the first bitfield in it; the bit positions of
    /// all the bitfields sharing the unit are listed in a comment above it.
    /// </summary>
    private static void AddBitField(string owner, string name, CXType type, long bits, int width, List<FieldModel> fields)
    {
        var unitBytes = LibClang.clang_Type_getSizeOf(type);
        var unitBits = unitBytes * 8;
        var unitOffset = bits / unitBits * unitBytes;
        var firstBit = bits - (unitOffset * 8);
        if (firstBit + width > unitBits)
        {
            throw new BindingGenerationException($"{owner}.{name}: bitfield straddles its storage unit");
        }
        var unitType = Integer(unitBytes, signed: false, type);
        var header = $"bitfields in this {unitBits}-bit storage unit:";
        var unit = fields.LastOrDefault(f => f.Offset == unitOffset && f.Type == unitType && f.Notes.FirstOrDefault() == header);
        if (unit is null)
        {
            unit = new FieldModel(name, unitOffset, unitType);
            unit.Notes.Add(header);
            fields.Add(unit);
        }
        var range = width == 1
            ? $"bit {firstBit}"
            : $"bits {firstBit}..{firstBit + width - 1}";
        unit.Notes.Add($"  {LibClang.Spelling(type)} {name} : {width}; ({range})");
    }

    /// <summary>Looks through typedef and elaborated sugar, without the special cases of <see cref="MapType"/>.</summary>
    private static CXType Desugar(CXType type)
    {
        while (true)
        {
            if (type.kind == CXTypeKind.Typedef)
            {
                type = LibClang.clang_getTypedefDeclUnderlyingType(LibClang.clang_getTypeDeclaration(type));
            }
            else if (type.kind == CXTypeKind.Elaborated)
            {
                type = LibClang.clang_Type_getNamedType(type);
            }
            else
            {
                return type;
            }
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
