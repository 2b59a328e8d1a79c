import '@testing-library/jest-dom';
import { silenceKnownFrameworkWarnings } from '@bitbucket-signin/test-kit';

silenceKnownFrameworkWarnings();
