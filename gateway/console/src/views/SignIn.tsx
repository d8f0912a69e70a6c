import { Button, Center, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { signIn } from '../session';

/** Takes a bearer token; `npm start` prints the development one (and a link that carries it). */
export function SignIn({ onDone }: { onDone(): void }) {
  const [token, setToken] = useState('');
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="lg" maw={520} w="100%">
        <Stack>
          <Title order={3}>Sign in to the usage console</Title>
          <Text size="sm" c="dimmed">
            Paste a bearer token. On a laptop, `npm start` prints a development token and a console link that signs you in.
          </Text>
          <Textarea label="Token" autosize minRows={3} value={token} onChange={(e) => setToken(e.currentTarget.value)} data-testid="token" />
          <Button
            disabled={!token.trim()}
            onClick={() => {
              signIn(token);
              onDone();
            }}
          >
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
