import { Text } from '@mantine/core';
import type { ViewProps } from './common';

export function Aggregates(_props: ViewProps) {
  return <Text>Aggregates</Text>;
}
