namespace Tracer.BindGen;

// What the walker collects and the emitter prints: C declarations with their types already
// mapped to C# type names.

internal sealed record BindingModel(string LibbpfVersion, string HeaderDir, IReadOnlyList<FunctionModel> Functions, IReadOnlyList<TypeModel> Types);

/// <param name="Prototype">The C prototype, rebuilt from clang's type spellings, for the doc comment.</param>
internal sealed record FunctionModel(string Name, string ReturnType, IReadOnlyList<ParameterModel> Parameters, string Prototype);

internal sealed record ParameterModel(string Type, string Name);

/// <param name="Name">The C# type name (the C tag, or a synthesized name for an anonymous type).</param>
/// <param name="Description">How the type is spelled in C, for the doc comment.</param>
internal abstract record TypeModel(string Name, string Description);

internal sealed record EnumModel(string Name, string Description, string UnderlyingType, IReadOnlyList<EnumConstantModel> Constants)
    : TypeModel(Name, Description);

internal sealed record EnumConstantModel(string Name, string Value);

/// <param name="Size">sizeof in bytes, or null for an incomplete (opaque) type.</param>
internal sealed record RecordModel(string Name, string Description, long? Size, IReadOnlyList<FieldModel> Fields)
    : TypeModel(Name, Description);

internal enum FieldShape
{
    /// <summary><c>internal T name;</c></summary>
    Plain,
    /// <summary><c>internal fixed T name[Length];</c> (T is a primitive C# allows in fixed buffers).</summary>
    FixedBuffer,
    /// <summary>An [InlineArray(Length)] struct nested in the record, for element types fixed buffers cannot hold.</summary>
    InlineArray,
    /// <summary>Not representable (flexible or zero-length array): only a comment is emitted.</summary>
    Omitted,
}

internal sealed class FieldModel(string name, long offset, string type, FieldShape shape = FieldShape.Plain, long length = 0)
{
    internal string Name { get; } = name;
    internal long Offset { get; } = offset;
    internal string Type { get; } = type;
    internal FieldShape Shape { get; } = shape;
    internal long Length { get; } = length;

    /// <summary>Comment lines printed above the field (bitfield layout, why a member is omitted).</summary>
    internal List<string> Notes { get; } = [];
}
