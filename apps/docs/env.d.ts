// Single-file components, for the TypeScript files that import them (the theme entry).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent;
  export default component;
}
