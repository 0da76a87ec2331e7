import { useEffect } from 'react';
import { api } from './api/transport.js';
import { ThemeToggle } from './components/ThemeToggle.js';
import { HomeScreen } from './screens/HomeScreen.js';
import { ProjectScreen } from './screens/ProjectScreen.js';
import { useDatasets } from './stores/datasets.js';
import { useNavigation } from './stores/navigation.js';
import { useProjects } from './stores/projects.js';
import { useTheme } from './stores/theme.js';

export function App() {
  const theme = useTheme((state) => state.theme);
  const projectId = useNavigation((state) => state.projectId);
  const goHome = useNavigation((state) => state.goHome);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(
    () =>
      api.subscribe((event) => {
        if (event.type === 'projects.changed') void useProjects.getState().load();
        if (event.type === 'job.updated') useDatasets.getState().onJob(event.job);
      }),
    [],
  );

  return (
    <div className="app">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="app-header">
        <button type="button" className="brand" onClick={goHome} aria-label="Kiln: all projects">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Kiln
        </button>
        <div className="header-actions">
          <ThemeToggle />
        </div>
      </header>
      <main id="content" className="app-main" tabIndex={-1}>
        {projectId ? <ProjectScreen projectId={projectId} /> : <HomeScreen />}
      </main>
    </div>
  );
}
