import { Title } from '@solidjs/meta';
import { PageHeader } from '~/components/AppShell.tsx';
import { TwoFactorSettings } from '~/components/TwoFactorSettings.tsx';
import { t } from '~/i18n/index.ts';

/** The admin's own sign-in security: two-factor sign-in (TOTP). */
export default function AdminSecurityPage() {
  return (
    <>
      <Title>
        {t('security.title')} · {t('app.name')}
      </Title>
      <PageHeader title={t('security.title')} subtitle={t('security.subtitle')} />
      <TwoFactorSettings />
    </>
  );
}
