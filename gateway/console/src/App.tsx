import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import { currentToken, signOut, tenantOf } from './session';
import { SignIn } from './views/SignIn';
import { Explorer } from './views/Explorer';
import { LiveFeed } from './views/LiveFeed';
import { Aggregates } from './views/Aggregates';
import { Meters } from './views/Meters';
import { Jobs } from './views/Jobs';
import { Health } from './views/Health';

const views = {
  explorer: { label: 'Usage explorer', View: Explorer },
  aggregates: { label: 'Aggregates', View: Aggregates },
  meters: { label: 'Meters', View: Meters },
  live: { label: 'Live feed', View: LiveFeed },
  jobs: { label: 'Ingestion jobs', View: Jobs },
  health: { label: 'Health', View: Health },
} as const;
type ViewName = keyof typeof views;

const initialView = (): ViewName => {
  const name = window.location.hash.replace(/^#/, '');
  return name in views ? (name as ViewName) : 'explorer';
};

export function App() {
  const [opened, { toggle, close }] = useDisclosure();
  const [view, setView] = useState<ViewName>(initialView);
  const [token, setToken] = useState(currentToken);
  const [signingIn, setSigningIn] = useState(false);

  const go = (name: ViewName) => {
    setView(name);
    history.replaceState(null, '', `#${name}`);
    close();
  };
  // A request refused for want of a valid token sends the user to sign in.
  const unauthenticated = () => setSigningIn(true);

  if (signingIn) {
    return (
      <SignIn
        onDone={() => {
          setToken(currentToken());
          setSigningIn(false);
        }}
      />
    );
  }
  const { View } = views[view];
  const tenant = tenantOf(token);
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={4} style={{ whiteSpace: 'nowrap' }}>
              Usage console
            </Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {tenant && (
              <Badge variant="light" visibleFrom="sm" data-testid="tenant">
                tenant {tenant}
              </Badge>
            )}
            {token ? (
              <Button
                size="xs"
                variant="subtle"
                onClick={() => {
                  signOut();
                  setToken(null);
                  setSigningIn(true);
                }}
              >
                Sign out
              </Button>
            ) : (
              <Button size="xs" variant="subtle" onClick={() => setSigningIn(true)}>
                Sign in
              </Button>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {tenant && (
          <Text size="xs" c="dimmed" px="sm" pb="xs" hiddenFrom="sm">
            tenant {tenant}
          </Text>
        )}
        {(Object.keys(views) as ViewName[]).map((name) => (
          <NavLink key={name} label={views[name].label} active={name === view} onClick={() => go(name)} data-testid={`nav-${name}`} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <View key={token ?? ''} onUnauthenticated={unauthenticated} />
      </AppShell.Main>
    </AppShell>
  );
}
