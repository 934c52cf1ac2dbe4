// Single-file components, for the TypeScript files that import them (the theme entry).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent;
  export default component;
}

// Vite's `?url` imports (an emitted asset's URL), used for the tfjs wasm binaries.
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
