import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { useNavigation } from '../stores/navigation.js';
import { useProjects } from '../stores/projects.js';

export function HomeScreen() {
  const { projects, loading, error, load, create } = useProjects();
  const openProject = useNavigation((state) => state.openProject);
  const [name, setName] = useState('');
  const [createError, setCreateError] = useState<string | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const project = await create(name);
      setName('');
      setCreateError(null);
      openProject(project.id);
    } catch (failure) {
      setCreateError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <section className="home" aria-labelledby="home-title">
      <div className="home-head">
        <div>
          <h1 id="home-title">Projects</h1>
          <p className="muted">Each project takes one dataset from CSV to a served model.</p>
        </div>
        <form className="new-project" onSubmit={(event) => void submit(event)} aria-label="New project">
          <label htmlFor="project-name" className="visually-hidden">
            Project name
          </label>
          <input
            id="project-name"
            className="input"
            placeholder="Project name, e.g. Income prediction"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={createError !== null}
            aria-describedby={createError ? 'project-name-error' : undefined}
          />
          <button type="submit" className="button primary">
            New project
          </button>
        </form>
      </div>
      {createError ? (
        <div id="project-name-error">
          <ErrorMessage message={createError} onDismiss={() => setCreateError(null)} />
        </div>
      ) : null}
      {error ? <ErrorMessage message={`Could not load projects: ${error}`} /> : null}
      {!loading && projects.length === 0 && !error ? (
        <div className="empty">
          <h2>No projects yet</h2>
          <p>Name your first project above and press Enter. You can try it on the bundled census income sample.</p>
        </div>
      ) : null}
      <ul className="project-grid" aria-label="Your projects">
        {projects.map((project) => (
          <li key={project.id}>
            <button type="button" className="project-card" onClick={() => openProject(project.id)}>
              <span className="project-name">{project.name}</span>
              <span className="muted small">
                {project.datasetCount === 1 ? '1 dataset' : `${project.datasetCount} datasets`} · updated{' '}
                {new Date(project.updatedAt).toLocaleString()}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
