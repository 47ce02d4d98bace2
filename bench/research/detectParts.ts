/**
 * Every exported piece of the label-error detector in one namespace, for the research scripts that
 * recombine them (`import * as det from './detectParts'`): the detector and its three parts.
 */
export * from '../../src/detect/detector';
export * from '../../src/detect/confidentJoint';
export * from '../../src/detect/rankingKeys';
export * from '../../src/detect/errorEstimate';
