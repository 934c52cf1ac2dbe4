import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { h } from 'vue';
import FredkinDemo from './components/FredkinDemo.vue';
import HeroArt from './components/HeroArt.vue';
import IsingDemo from './components/IsingDemo.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  Layout: () => h(DefaultTheme.Layout, null, { 'home-hero-image': () => h(HeroArt) }),
  enhanceApp({ app }) {
    // used by docs/demos/*.md as <IsingDemo /> and <FredkinDemo />
    app.component('IsingDemo', IsingDemo);
    app.component('FredkinDemo', FredkinDemo);
  },
} satisfies Theme;
