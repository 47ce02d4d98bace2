/**
 * The part of the WebAssembly JavaScript API the engine uses (src/linalg/kernels.ts). TypeScript declares
 * WebAssembly only in its DOM library, which the engine's type-check leaves out (tsconfig.engine.json:
 * the engine runs in Node, never in a page); Node has had these globals since long before Node 20.
 */
declare namespace WebAssembly {
  type Bytes = ArrayBuffer | ArrayBufferView;
  type ExportValue = unknown;
  class Module {
    constructor(bytes: Bytes);
  }
  class Instance {
    constructor(module: Module, importObject?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, ExportValue>;
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  function validate(bytes: Bytes): boolean;
  function compile(bytes: Bytes): Promise<Module>;
  function instantiate(module: Module, importObject?: Record<string, Record<string, unknown>>): Promise<Instance>;
}
